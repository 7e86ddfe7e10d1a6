#include <catch2/catch.hpp>
#include <future>
#include <map>
#include <mutex>

#include "storage/shard.hpp"
#include "storage/shard_journal.hpp"
#include "storage/store_env.hpp"
#include "tests/storage/fault_fs.hpp"
#include "tests/storage/store_fixture.hpp"
#include "tests/support/temp_dir.hpp"

// The store's writer and its replication sink (storage/replication_sink.hpp):
// positions written with the group, writes for shards not led refused,
// completions through the sink, local-only writes past it.
using namespace switchboard::storage;
using switchboard::testing::store_fixture;

namespace {

// Leads the shards in `led`, at epoch 7; keeps what it is handed, and
// completes nothing until release().
struct holding_sink final : replication_sink {
  std::mutex m;
  std::map<std::uint16_t, std::uint64_t> seq;
  std::vector<std::uint16_t> led;
  std::vector<std::vector<shard_append>> groups;
  std::vector<completion> held;
  std::vector<std::uint16_t> given_back;

  std::optional<shard_step> next_position(std::uint16_t shard) override {
    std::lock_guard<std::mutex> l(m);
    if (std::find(led.begin(), led.end(), shard) == led.end())
      return std::nullopt;
    auto before = seq[shard]++;
    return shard_step{shard_position{before ? 7 : 0, before},
                      shard_position{7, before + 1}};
  }
  void not_written(const std::vector<shard_append>& a) override {
    std::lock_guard<std::mutex> l(m);
    for (auto& x : a) {
      given_back.push_back(x.shard);
      --seq[x.shard];  // taken again by the next group
    }
  }
  void written(std::vector<shard_append> a,
               std::vector<completion> done) override {
    std::lock_guard<std::mutex> l(m);
    groups.push_back(std::move(a));
    for (auto& d : done) held.push_back(std::move(d));
  }
  std::size_t held_count() {
    std::lock_guard<std::mutex> l(m);
    return held.size();
  }
  void release() {
    std::vector<completion> out;
    {
      std::lock_guard<std::mutex> l(m);
      out.swap(held);
    }
    for (auto& d : out) d(ok);
  }
};

// Waits (10 s at most) until the sink holds a completion.
void wait_held(holding_sink& sink) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (sink.held_count() == 0) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::yield();
  }
}

std::uint16_t shard_of_id(const store& s, const std::string& id) {
  return static_cast<std::uint16_t>(shard_of(id, s.shards()));
}

}  // namespace

TEST_CASE_METHOD(store_fixture,
                 "a sink gets each group's writes per shard it leads, with "
                 "the position written in the same write",
                 "[replication_sink]") {
  holding_sink sink;
  auto shard = shard_of_id(*db, "conv-a");
  sink.led = {shard};
  db->set_replication(&sink);

  batch b;
  message m{1, "alice", "hi", 5, "c1"};
  b.put_message("conv-a", m);
  std::promise<status> done;
  db->commit(std::move(b), [&](const status& s) { done.set_value(s); });
  // Durable here, and held by the sink: not acknowledged yet.
  wait_held(sink);
  auto fut = done.get_future();
  CHECK(fut.wait_for(std::chrono::milliseconds(0)) !=
        std::future_status::ready);
  {
    std::lock_guard<std::mutex> l(sink.m);
    REQUIRE(sink.groups.size() == 1);
    REQUIRE(sink.groups[0].size() == 1);
    auto& a = sink.groups[0][0];
    CHECK(a.shard == shard);
    CHECK(a.at == shard_position{7, 1});
    CHECK(a.prev == shard_position{0, 0});
    // The journal's entry, the message, then the position.
    REQUIRE(a.ops.size() == 3);
    CHECK(a.ops[0].cf == column_family::shard_log);
    CHECK(a.ops[0].key == journal_key(shard, 1));
    CHECK(a.ops[1].cf == column_family::messages);
    CHECK(a.ops.back().cf == column_family::shard_log);
    CHECK(a.ops.back().key == position_key(shard));
  }
  sink.release();
  REQUIRE(fut.get().has_value());
  db->set_replication(nullptr);
  auto positions = db->positions();
  REQUIRE(positions.has_value());
  REQUIRE(positions->size() == 1);
  CHECK((*positions)[0].first == shard);
  CHECK((*positions)[0].second == shard_position{7, 1});
  // The position is durable with the group: it survives a reopen.
  reopen();
  auto again = db->positions();
  REQUIRE(again.has_value());
  REQUIRE(again->size() == 1);
  CHECK((*again)[0].second == shard_position{7, 1});
  CHECK(db->last_msg_id("conv-a").value() == 1);
}

TEST_CASE_METHOD(store_fixture,
                 "a write for a shard not led is refused unwritten, a "
                 "local-only one passes the sink",
                 "[replication_sink]") {
  holding_sink sink;  // leads nothing
  db->set_replication(&sink);
  batch b;
  b.put_message("conv-b", message{1, "alice", "hi", 5, "c1"});
  auto refused = db->commit_and_wait(std::move(b));
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.err().code == errc::unavailable);
  CHECK(db->last_msg_id("conv-b").value() == 0);

  batch local;
  local.skip_replication();
  local.put_message("conv-b", message{1, "alice", "hi", 5, "c1"});
  REQUIRE(db->commit_and_wait(std::move(local)).has_value());
  CHECK(db->last_msg_id("conv-b").value() == 1);
  CHECK(sink.held_count() == 0);
  db->set_replication(nullptr);
  // No position for a shard nobody led.
  CHECK(db->positions().value().empty());
}

TEST_CASE_METHOD(store_fixture,
                 "positions of a group that failed to write are given back",
                 "[replication_sink]") {
  // A store that fails its writes on demand.
  db.reset();
  bool fail = true;
  std::mutex fm;
  store_options o{dir.str(), durability::sync, {}};
  o.write_fault = [&] {
    std::lock_guard<std::mutex> l(fm);
    return fail ? std::string("injected") : std::string();
  };
  auto opened = store::open(o);
  REQUIRE(opened.has_value());
  db = std::move(*opened);
  holding_sink sink;
  auto shard = shard_of_id(*db, "conv-c");
  sink.led = {shard};
  db->set_replication(&sink);
  batch b;
  b.put_message("conv-c", message{1, "alice", "hi", 5, "c1"});
  CHECK_FALSE(db->commit_and_wait(std::move(b)).has_value());
  db->set_replication(nullptr);
  std::lock_guard<std::mutex> l(sink.m);
  CHECK(sink.given_back == std::vector<std::uint16_t>{shard});
  CHECK(sink.groups.empty());
}

TEST_CASE(
    "a group whose WAL sync failed still goes to the sink, "
    "acknowledged to nobody, so the shard's next group follows it",
    "[replication_sink]") {
  switchboard::testing::temp_dir dir;
  switchboard::testing::fault_fs fs;
  auto opened =
      open_store_on(store_options{dir.str(), durability::sync, {}}, fs.env());
  REQUIRE(opened.has_value());
  auto db = std::move(*opened);
  holding_sink sink;
  auto shard = shard_of_id(*db, "conv-s");
  sink.led = {shard};
  db->set_replication(&sink);

  fs.fail_wal(switchboard::testing::fault_fs::wal_fault::sync);
  batch b;
  b.put_message("conv-s", message{1, "alice", "hi", 5, "c1"});
  auto failed = db->commit_and_wait(std::move(b));
  REQUIRE_FALSE(failed.has_value());
  CHECK(failed.err().code == errc::io_error);
  fs.fail_wal(switchboard::testing::fault_fs::wal_fault::none);
  {
    // Its positions were kept, and the followers get it; its writer got
    // the error, not a completion held for the followers' answers.
    std::lock_guard<std::mutex> l(sink.m);
    CHECK(sink.given_back.empty());
    REQUIRE(sink.groups.size() == 1);
    REQUIRE(sink.groups[0].size() == 1);
    CHECK(sink.groups[0][0].at == shard_position{7, 1});
    CHECK(sink.held.empty());
  }
  // Once the store recovers, the next group follows it without a gap.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    batch next;
    next.put_message("conv-s", message{2, "alice", "again", 6, "c2"});
    std::promise<status> done;
    db->commit(std::move(next), [&](const status& s) { done.set_value(s); });
    auto fut = done.get_future();
    while (fut.wait_for(std::chrono::milliseconds(10)) !=
           std::future_status::ready)
      sink.release();
    if (fut.get().has_value()) break;
    REQUIRE(std::chrono::steady_clock::now() < deadline);  // still recovering
  }
  {
    std::lock_guard<std::mutex> l(sink.m);
    REQUIRE(sink.groups.size() >= 2);
    CHECK(sink.groups.back()[0].prev == shard_position{7, 1});
  }
  db->set_replication(nullptr);
  db.reset();  // before the file system it uses
}

TEST_CASE_METHOD(store_fixture,
                 "a snapshot reads a shard and its position as of one moment "
                 "while writes go on",
                 "[replication_sink]") {
  struct leading_sink final : replication_sink {
    std::uint16_t led = 0;
    std::uint64_t seq = 0;
    std::optional<shard_step> next_position(std::uint16_t shard) override {
      if (shard != led) return std::nullopt;
      ++seq;
      return shard_step{shard_position{seq > 1 ? 3 : 0, seq - 1},
                        shard_position{3, seq}};
    }
    void not_written(const std::vector<shard_append>&) override {}
    void written(std::vector<shard_append>,
                 std::vector<completion> done) override {
      for (auto& d : done) d(ok);
    }
  } sink;
  auto shard = shard_of_id(*db, "conv-s");
  sink.led = shard;
  db->set_replication(&sink);
  auto write = [&](std::uint64_t id) {
    batch b;
    b.put_message("conv-s",
                  message{id, "alice", "m", 5, "c" + std::to_string(id)});
    REQUIRE(db->commit_and_wait(std::move(b)).has_value());
  };
  write(1);
  write(2);
  auto snap = db->take_snapshot();
  write(3);
  db->set_replication(nullptr);

  auto messages_at = [&](const store::snapshot* at) {
    auto page = db->read_shard(shard, column_family::messages, "", 1 << 20, at);
    REQUIRE(page.has_value());
    return page->kvs.size();
  };
  CHECK(messages_at(snap.get()) == 2);
  CHECK(messages_at(nullptr) == 3);
  auto log =
      db->read_shard(shard, column_family::shard_log, "", 1 << 20, snap.get());
  REQUIRE(log.has_value());
  // The position, then the journal's entries of groups 1 and 2.
  REQUIRE(log->kvs.size() == 3);
  CHECK(log->kvs[0].first == position_key(shard));
  CHECK(decode_position(log->kvs[0].second) == shard_position{3, 2});
  CHECK(log->kvs[2].first == journal_key(shard, 2));
  CHECK(db->positions().value()[0].second == shard_position{3, 3});
}

TEST_CASE_METHOD(store_fixture,
                 "a wait for a write that does not complete ends at its "
                 "deadline; the write completes later all the same",
                 "[replication_sink]") {
  holding_sink sink;
  auto shard = shard_of_id(*db, "conv-c");
  sink.led = {shard};
  db->set_replication(&sink);
  batch b;
  b.put_message("conv-c", message{1, "alice", "hi", 5, "c1"});
  auto waited =
      db->commit_and_wait(std::move(b), std::chrono::milliseconds(50));
  REQUIRE_FALSE(waited.has_value());
  CHECK(waited.err().code == errc::timed_out);
  CHECK(waited.err().message.find("did not complete in 50 ms") !=
        std::string::npos);
  CHECK(to_string(errc::timed_out) == "timed_out");
  // The held completion is the abandoned wait's: releasing it is safe.
  wait_held(sink);
  sink.release();
  db->set_replication(nullptr);
  CHECK(db->last_msg_id("conv-c").value() == 1);
}
