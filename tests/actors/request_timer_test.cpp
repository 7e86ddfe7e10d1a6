// Request deadlines kept by the asking actor (actors/request_timer.hpp,
// actors/timed_request.hpp): the bookkeeping alone, then real CAF actors.
#include "actors/request_timer.hpp"

#include <caf/all.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <vector>

#include "actors/timed_request.hpp"

using namespace switchboard::actors;
using namespace std::chrono_literals;
using clk = request_timer::clock;

namespace {

caf::message_id id(std::uint64_t n) { return caf::message_id{n}; }

std::vector<std::uint64_t> values(const std::vector<caf::message_id>& ids) {
  std::vector<std::uint64_t> out;
  for (auto& i : ids) out.push_back(i.integer_value());
  return out;
}

}  // namespace

TEST_CASE("a request timer arms one tick for its earliest deadline",
          "[request_timer]") {
  request_timer t;
  auto t0 = clk::now();
  auto first = t.track(id(1), t0 + 2s);
  REQUIRE(first);
  CHECK(*first == t0 + 2s);
  CHECK_FALSE(t.track(id(2), t0 + 3s));    // the tick at 2 s comes first
  auto earlier = t.track(id(3), t0 + 1s);  // a shorter timeout: sooner
  REQUIRE(earlier);
  CHECK(*earlier == t0 + 1s);
  CHECK(t.pending() == 3);

  std::optional<clk::time_point> next;
  // The tick armed first is superseded: it expires and arms nothing.
  CHECK(t.expire(t0 + 2s, t0 + 2s, next).empty());
  CHECK_FALSE(next);
  CHECK(t.pending() == 3);

  // The tick at 1 s: request 3 times out; the next tick is due at 2 s.
  CHECK(values(t.expire(t0 + 1s, t0 + 1s, next)) ==
        std::vector<std::uint64_t>{3});
  REQUIRE(next);
  CHECK(*next == t0 + 2s);

  t.answered(id(1));  // answered in time: never times out
  t.answered(id(9));  // unknown: nothing
  CHECK(t.pending() == 1);
  CHECK(t.expire(*next, t0 + 2s, next).empty());
  REQUIRE(next);  // request 2 is due at 3 s
  CHECK(*next == t0 + 3s);
  CHECK(values(t.expire(*next, t0 + 3s, next)) ==
        std::vector<std::uint64_t>{2});
  CHECK_FALSE(next);
  CHECK(t.pending() == 0);

  // With nothing armed, the next request arms again.
  CHECK(t.track(id(4), t0 + 5s));
}

namespace {

struct asker_state {
  request_timer timer;
  static inline const char* name = "test.asker";
};

struct outcome {
  std::vector<int> answers;
  std::vector<caf::error> errors;
  std::size_t pending_at_start = 99;  // the timer's, once both were asked
  std::size_t pending_after = 99;     // and once all is in
};

}  // namespace

TEST_CASE(
    "a timed request gets its answer, or request_timeout once, and never "
    "both",
    "[request_timer]") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  // Answers at once.
  auto echo = sys.spawn(
      []() -> caf::behavior { return {[](int x) { return x * 2; }}; });
  // Holds its answers until asked to give them.
  auto slow = sys.spawn([](caf::event_based_actor* self) -> caf::behavior {
    auto held = std::make_shared<std::vector<caf::response_promise>>();
    return {
        [self, held](int) -> caf::result<int> {
          held->push_back(self->make_response_promise());
          return caf::delegated<int>();
        },
        [held](continue_atom) {
          for (auto& p : *held) p.deliver(7);
          held->clear();
        },
    };
  });
  auto result = std::make_shared<std::promise<outcome>>();
  auto got = result->get_future();
  auto asker =
      sys.spawn([echo, slow, result](
                    caf::stateful_actor<asker_state>* self) -> caf::behavior {
        auto o = std::make_shared<outcome>();
        auto seen = [self, o, slow, result] {
          if (o->answers.size() + o->errors.size() < 2) return;
          // The slow actor answers now, after its timeout, and then answers
          // this: its late answer came first (one sender's messages keep their
          // order) and was dropped.
          self->request(slow, caf::infinite, continue_atom::value)
              .then([self, o, result] {
                o->pending_after = self->state.timer.pending();
                result->set_value(*o);
              });
        };
        auto on_answer = [o, seen](int x) {
          o->answers.push_back(x);
          seen();
        };
        auto on_error = [o, seen](caf::error& e) {
          o->errors.push_back(e);
          seen();
        };
        timed_request(self, &self->state.timer, echo, caf::duration{5s}, 4)
            .then(on_answer, on_error);
        timed_request(self, &self->state.timer, slow, caf::duration{50ms}, 1)
            .then(on_answer, on_error);
        o->pending_at_start = self->state.timer.pending();
        return {[](continue_atom, continuation& k) { k.fn(); }};
      });
  REQUIRE(got.wait_for(10s) == std::future_status::ready);
  auto o = got.get();
  CHECK(o.answers == std::vector<int>{8});
  REQUIRE(o.errors.size() == 1);
  CHECK(o.errors[0] == caf::sec::request_timeout);
  CHECK(o.pending_at_start == 2);  // kept here, not on CAF's clock
  CHECK(o.pending_after == 0);
  for (auto& a : {asker, echo, slow})
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}
