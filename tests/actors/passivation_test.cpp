// A conversation's actor passivates when idle and the next request brings
// it back from the store: ids continue, retries are still duplicates, and
// requests that come while it loads wait and are all answered. On real
// actors over a store, not CAF's deterministic test scheduler: CAF 0.17's
// test_coordinator is single-threaded (an unlocked job queue), and the
// conversation actor is answered from the store's writer and the I/O
// threads.
#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "actors/directory.hpp"
#include "actors/io_pool.hpp"
#include "actors/node.hpp"
#include "storage/store.hpp"
#include "tests/actors/node_requests.hpp"
#include "tests/support/temp_dir.hpp"

using namespace switchboard;
using namespace std::chrono_literals;

namespace {

// A node's actor runtime whose conversations passivate after 50 ms idle.
struct idle_node {
  testing::temp_dir dir;
  std::unique_ptr<storage::store> store = open();
  std::unique_ptr<actors::node> rt =
      std::make_unique<actors::node>(*store, options());

  ~idle_node() { rt.reset(); }  // before the store it writes to

  static actors::node_options options() {
    auto o = testing::unthrottled();
    o.lim.idle_actor = 50ms;
    return o;
  }

  std::unique_ptr<storage::store> open() {
    auto s = storage::store::open(
        storage::store_options{dir.str(), storage::durability::sync, {}, {}});
    REQUIRE(s.has_value());
    return std::move(*s);
  }

  boost::json::object ask(const std::string& user, const std::string& frame) {
    return testing::ask_frame(*rt, user, frame);
  }

  // Waits, up to 10 s, until no conversation actor is active.
  bool all_passivated() {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (rt->dir().active_conversations() > 0) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(5ms);  // polling the condition
    }
    return true;
  }

  std::string create_group() {
    auto c =
        ask("alice", R"({"type":"create","kind":"group","members":["bob"]})");
    REQUIRE(c["type"] == "created");
    return std::string(c["conv_id"].as_string());
  }
};

}  // namespace

TEST_CASE_METHOD(idle_node,
                 "an idle conversation passivates and comes back from the "
                 "store with its ids and its duplicates",
                 "[conversation][passivation]") {
  auto conv = create_group();
  auto first = ask("alice", testing::send_frame(conv, "c1"));
  REQUIRE(first["type"] == "sent");
  REQUIRE(all_passivated());

  // A retry after the passivation: the window of recent keys went with the
  // actor, so the store answers it (one read), with the original's
  // msg_id and timestamp.
  auto dup = ask("alice", testing::send_frame(conv, "c1"));
  REQUIRE(dup["type"] == "sent");
  CHECK(dup["duplicate"] == true);
  CHECK(dup["msg_id"] == first["msg_id"]);
  CHECK(dup["ts"] == first["ts"]);
  CHECK(rt->dir().active_conversations() == 1);

  REQUIRE(all_passivated());
  auto next = ask("alice", testing::send_frame(conv, "c2"));
  REQUIRE(next["type"] == "sent");
  CHECK(next["msg_id"] == 2);  // no gap, no reuse
  CHECK(next["duplicate"] == false);
  auto h = ask("bob", testing::sync_frame(conv));
  REQUIRE(h["type"] == "history");
  CHECK(h["messages"].as_array().size() == 2);
}

TEST_CASE_METHOD(idle_node,
                 "requests that reach a passivated conversation while it "
                 "loads are all answered, with gap-free ids",
                 "[conversation][passivation]") {
  auto conv = create_group();
  REQUIRE(ask("alice", testing::send_frame(conv, "c0"))["type"] == "sent");
  REQUIRE(all_passivated());

  // Every I/O thread held: the actor that the first request activates
  // cannot read the store, so it stays loading while the others come.
  std::promise<void> open;
  auto gate = open.get_future().share();
  std::atomic<int> holding{0};
  for (int i = 0; i < options().io_threads; ++i)
    rt->io().post([gate, &holding] {
      ++holding;
      gate.wait();
    });
  struct opens {  // whatever happens, or the pool never joins
    std::promise<void>& p;
    explicit opens(std::promise<void>& q) : p(q) {}
    ~opens() { p.set_value(); }
  };
  std::optional<opens> guard;
  guard.emplace(open);
  std::vector<std::future<std::string>> answers;
  for (int i = 1; i <= 20; ++i)
    answers.push_back(testing::request_frame(
        *rt, "alice", testing::send_frame(conv, "c" + std::to_string(i))));
  auto history = testing::request_frame(*rt, "bob", testing::sync_frame(conv));
  // The requests reached the actor (it exists), and none is answered while
  // it loads.
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (rt->dir().active_conversations() == 0 ||
         holding < options().io_threads) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(1ms);  // polling the condition
  }
  for (auto& a : answers) CHECK(a.wait_for(0s) == std::future_status::timeout);
  guard.reset();  // the load runs; the requests that waited go on
  std::vector<std::uint64_t> ids;
  for (auto& a : answers) {
    auto o = testing::answer_of(a);
    REQUIRE(o["type"] == "sent");
    CHECK(o["duplicate"] == false);
    ids.push_back(o["msg_id"].to_number<std::uint64_t>());
  }
  std::sort(ids.begin(), ids.end());
  for (std::size_t i = 0; i < ids.size(); ++i) CHECK(ids[i] == i + 2);
  auto h = testing::answer_of(history);
  REQUIRE(h["type"] == "history");
  CHECK(h["messages"].as_array().size() >= 1);
}
