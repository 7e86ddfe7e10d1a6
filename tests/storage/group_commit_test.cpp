#include <algorithm>
#include <catch2/catch.hpp>
#include <future>
#include <mutex>
#include <thread>

#include "tests/storage/store_fixture.hpp"

using namespace switchboard::storage;
using switchboard::testing::store_fixture;

TEST_CASE_METHOD(store_fixture,
                 "concurrent writers are all acknowledged and durable",
                 "[group_commit]") {
  constexpr int threads = 8, per_thread = 200;
  std::vector<std::thread> ts;
  std::atomic<int> acked{0}, failed{0};
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      auto log = conversation_log::open(*db, "conv" + std::to_string(t));
      std::vector<std::future<void>> waits;
      for (int i = 0; i < per_thread; ++i) {
        auto p = std::make_shared<std::promise<void>>();
        waits.push_back(p->get_future());
        auto r = log->append(message{0, "u", "b", 1, "k" + std::to_string(i)},
                             [&, p](const status& s) {
                               (s ? acked : failed)++;
                               p->set_value();
                             });
        REQUIRE(r.has_value());
      }
      for (auto& w : waits) w.wait();
    });
  }
  for (auto& t : ts) t.join();
  CHECK(acked == threads * per_thread);
  CHECK(failed == 0);
  auto st = db->stats();
  CHECK(st.batches == static_cast<std::uint64_t>(threads * per_thread));
  CHECK(st.groups <= st.batches);
  reopen();
  for (int t = 0; t < threads; ++t)
    CHECK(*db->last_msg_id("conv" + std::to_string(t)) == per_thread);
}

namespace {

struct completions {
  std::vector<int> order;  // the batches' numbers, as they completed
  int failed = 0;
};

// Commits batches 0..n-1 (last seen of user "u<i>" = i; relaxed when
// `relaxed(i)`), all in flight at once, and waits for every completion.
template <class Relaxed>
completions commit_many(store& db, int n, Relaxed relaxed) {
  completions out;
  std::mutex m;
  std::vector<std::future<void>> waits;
  for (int i = 0; i < n; ++i) {
    auto p = std::make_shared<std::promise<void>>();
    waits.push_back(p->get_future());
    batch b;
    b.put_last_seen("u" + std::to_string(i), i);
    if (relaxed(i)) b.relax_durability();
    db.commit(std::move(b), [&, i, p](const status& s) {
      {
        std::lock_guard<std::mutex> lock(m);
        out.order.push_back(i);
        if (!s) ++out.failed;
      }
      // Last: once the final promise is set the caller's locals (m, out)
      // may be gone, so nothing may touch them after it.
      p->set_value();
    });
  }
  for (auto& w : waits) w.wait();
  return out;
}

}  // namespace

TEST_CASE_METHOD(store_fixture, "completions run in submission order",
                 "[group_commit]") {
  auto c = commit_many(*db, 100, [](int) { return false; });
  REQUIRE(c.order.size() == 100);
  CHECK(std::is_sorted(c.order.begin(), c.order.end()));
  CHECK(c.failed == 0);
}

TEST_CASE_METHOD(store_fixture,
                 "a closing store writes what was already submitted",
                 "[group_commit]") {
  std::atomic<int> acked{0};
  auto log = conversation_log::open(*db, "c");
  for (int i = 0; i < 50; ++i)
    REQUIRE(log->append(message{0, "u", "b", 1, ""},
                        [&](const status& s) {
                          if (s) acked++;
                        })
                .has_value());
  db.reset();  // stops the writer after draining
  CHECK(acked == 50);
  db = open();
  CHECK(*db->last_msg_id("c") == 50);
}

TEST_CASE_METHOD(store_fixture,
                 "a relaxed batch is written without a sync of its own, and "
                 "in order with synced ones",
                 "[group_commit]") {
  auto before = db->stats().syncs;
  batch relaxed;
  relaxed.put_last_seen("alice", 42);
  relaxed.relax_durability();
  REQUIRE(db->commit_and_wait(std::move(relaxed)).has_value());
  CHECK(db->stats().syncs == before);
  CHECK(**db->last_seen("alice") == 42);
  batch durable;
  durable.put_last_seen("bob", 7);
  REQUIRE(db->commit_and_wait(std::move(durable)).has_value());
  CHECK(db->stats().syncs == before + 1);
  // Mixed, many in flight: completions keep submission order.
  auto c = commit_many(*db, 200, [](int i) { return i % 3 == 0; });
  CHECK(c.failed == 0);
  REQUIRE(c.order.size() == 200);
  CHECK(std::is_sorted(c.order.begin(), c.order.end()));
  reopen();
  CHECK(**db->last_seen("u0") == 0);
  CHECK(**db->last_seen("u199") == 199);
}

TEST_CASE_METHOD(store_fixture,
                 "a lingering batch shares the group of the next write that "
                 "does not linger, and goes alone when its time is up",
                 "[group_commit]") {
  auto before = db->stats();
  std::promise<status> lingered;
  batch cursor;
  cursor.put_last_seen("carol", 1);
  // Far longer than the test: only the next write can take it out.
  cursor.linger(std::chrono::seconds(60));
  db->commit(std::move(cursor),
             [&](const status& s) { lingered.set_value(s); });
  batch message;
  message.put_last_seen("dave", 2);
  REQUIRE(db->commit_and_wait(std::move(message)).has_value());
  auto done = lingered.get_future();
  REQUIRE(done.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  CHECK(done.get().has_value());
  auto after = db->stats();
  CHECK(after.groups == before.groups + 1);
  CHECK(after.syncs == before.syncs + 1);
  CHECK(after.max_group >= 2);
  // Alone, it is written once its time is up.
  batch lone;
  lone.put_last_seen("erin", 3);
  lone.linger(std::chrono::milliseconds(20));
  REQUIRE(db->commit_and_wait(std::move(lone)).has_value());
  CHECK(db->stats().groups == after.groups + 1);
  CHECK(**db->last_seen("carol") == 1);
  CHECK(**db->last_seen("erin") == 3);
}
