#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "storage/conversation_log.hpp"
#include "storage/store_env.hpp"
#include "tests/storage/fault_fs.hpp"
#include "tests/support/temp_dir.hpp"

using namespace switchboard::storage;
using switchboard::testing::fault_fs;
using namespace std::chrono_literals;

namespace {

// A store whose writes fail while `failing` is set (the fault hook) or
// while `fs` fails them (real RocksDB failures), and which records every
// change of its health.
struct faulty_store {
  switchboard::testing::temp_dir dir;
  fault_fs fs;
  std::atomic<bool> failing{false};
  std::mutex m;
  std::condition_variable cv;
  std::vector<store_health> flips;
  std::unique_ptr<store> db = open();

  ~faulty_store() { db.reset(); }  // before the file system it uses

  std::unique_ptr<store> open() {
    store_options o{dir.str(), durability::sync, {}};
    o.write_fault = [this] {
      return failing ? std::string("injected write failure") : std::string();
    };
    o.on_health = [this](const store_health& h) {
      std::lock_guard<std::mutex> lock(m);
      flips.push_back(h);
      cv.notify_all();
    };
    auto s = open_store_on(o, fs.env());
    REQUIRE(s.has_value());
    return std::move(*s);
  }

  // Waits until the store reports that it is writable again.
  bool wait_writable(std::chrono::milliseconds limit = 10s) {
    std::unique_lock<std::mutex> lock(m);
    return cv.wait_for(lock, limit, [this] {
      return !flips.empty() && flips.back().writable;
    });
  }

  status append(conversation_log& log, const std::string& body) {
    message msg{0, "u", body, 1, ""};
    batch b;
    REQUIRE(log.append(b, msg).has_value());
    return db->commit_and_wait(std::move(b));
  }

  std::vector<std::string> bodies(const std::string& conv) {
    auto pg = db->read_after(conv, 0, 1000);
    REQUIRE(pg.has_value());
    std::vector<std::string> out;
    for (std::size_t i = 0; i < pg->messages.size(); ++i) {
      REQUIRE(pg->messages[i].msg_id == i + 1);  // gap-free
      out.push_back(pg->messages[i].body);
    }
    return out;
  }
};

using strings = std::vector<std::string>;

}  // namespace

TEST_CASE_METHOD(faulty_store,
                 "a failed write makes the store unwritable until it has "
                 "recovered, then it takes writes again",
                 "[recovery]") {
  auto log = conversation_log::open(*db, "c");
  REQUIRE(append(*log, "a"));
  failing = true;
  auto failed = append(*log, "b");
  REQUIRE(!failed);
  CHECK(failed.err().code == errc::io_error);
  auto h = db->health();
  CHECK(!h.writable);
  CHECK(h.reason.find("injected write failure") != std::string::npos);
  CHECK(h.generation == 1);
  CHECK(h.write_failures == 1);
  auto refused = append(*log, "c");
  REQUIRE(!refused);
  CHECK(refused.err().code == errc::unavailable);
  failing = false;
  REQUIRE(wait_writable());
  // As the sequencer does after a failure: the log's next id comes from
  // the store again.
  log = conversation_log::open(*db, "c");
  REQUIRE(log.has_value());
  CHECK(log->last_msg_id() == 1);
  REQUIRE(append(*log, "d"));
  db.reset();
  db = open();
  CHECK(bodies("c") == strings{"a", "d"});
  REQUIRE(flips.size() == 2);
  CHECK(!flips[0].writable);
  CHECK(flips[1].writable);
  CHECK(flips[1].generation == 1);
}

TEST_CASE_METHOD(faulty_store,
                 "a WAL append that fails on a full disk is recovered with "
                 "Resume, without a crash and without a gap",
                 "[recovery]") {
  auto log = conversation_log::open(*db, "c");
  for (auto b : {"1", "2", "3"}) REQUIRE(append(*log, b));
  fs.fail_wal(fault_fs::wal_fault::append);
  auto failed = append(*log, "lost");
  REQUIRE(!failed);
  CHECK(failed.err().code == errc::io_error);
  CHECK(fs.injected() > 0);
  // Many writers meanwhile: every one is refused, none reaches RocksDB.
  for (int i = 0; i < 50; ++i) {
    auto st = append(*log, "refused");
    REQUIRE(!st);
    CHECK(st.err().code == errc::unavailable);
  }
  CHECK(!db->health().restart_needed);
  fs.fail_wal(fault_fs::wal_fault::none);
  REQUIRE(wait_writable());
  log = conversation_log::open(*db, "c");
  CHECK(log->last_msg_id() == 3);  // the failed append is not in the store
  REQUIRE(append(*log, "4"));
  db.reset();
  db = open();
  CHECK(bodies("c") == strings{"1", "2", "3", "4"});
}

TEST_CASE_METHOD(faulty_store,
                 "a WAL sync that fails leaves its write in the store after "
                 "recovery, although it was not acknowledged",
                 "[recovery]") {
  auto log = conversation_log::open(*db, "c");
  for (auto b : {"1", "2"}) REQUIRE(append(*log, b));
  fs.fail_wal(fault_fs::wal_fault::sync);
  auto failed = append(*log, "3");
  REQUIRE(!failed);
  CHECK(failed.err().code == errc::io_error);
  fs.fail_wal(fault_fs::wal_fault::none);
  REQUIRE(wait_writable());
  // The write was in the memtable when its sync failed; Resume() flushed
  // it. A sequencer that reloads its last id continues after it.
  log = conversation_log::open(*db, "c");
  CHECK(log->last_msg_id() == 3);
  REQUIRE(append(*log, "4"));
  db.reset();
  db = open();
  CHECK(bodies("c") == strings{"1", "2", "3", "4"});
}

TEST_CASE_METHOD(faulty_store,
                 "a failed first WAL write needs a restart, and the store "
                 "closes and reopens cleanly",
                 "[recovery]") {
  // Nothing in any memtable: RocksDB's Resume() would keep the failed WAL
  // and abort on the next write to it.
  auto log = conversation_log::open(*db, "c");
  fs.fail_wal(fault_fs::wal_fault::append);
  REQUIRE(!append(*log, "lost"));
  fs.fail_wal(fault_fs::wal_fault::none);
  auto h = db->health();
  CHECK(!h.writable);
  CHECK(h.restart_needed);
  auto refused = append(*log, "refused");
  REQUIRE(!refused);
  CHECK(refused.err().code == errc::unavailable);
  db.reset();
  db = open();
  CHECK(db->health().writable);
  log = conversation_log::open(*db, "c");
  REQUIRE(append(*log, "1"));
  CHECK(bodies("c") == strings{"1"});
}

TEST_CASE_METHOD(faulty_store,
                 "a batch fenced before a failure is refused after the "
                 "recovery",
                 "[recovery]") {
  auto before = db->health().generation;
  failing = true;
  auto log = conversation_log::open(*db, "c");
  REQUIRE(!append(*log, "lost"));
  failing = false;
  REQUIRE(wait_writable());
  // A writer that read its state before the failure (its next msg_id is 2,
  // after the lost 1) must not write now.
  message m{0, "u", "after the lost one", 1, ""};
  batch stale;
  REQUIRE(log->append(stale, m).has_value());
  stale.fence(before);
  auto refused = db->commit_and_wait(std::move(stale));
  REQUIRE(!refused);
  CHECK(refused.err().code == errc::unavailable);
  // One that read its state since is written.
  auto now = db->health().generation;
  CHECK(now == before + 1);
  log = conversation_log::open(*db, "c");
  batch fresh;
  REQUIRE(log->append(fresh, m).has_value());
  fresh.fence(now);
  REQUIRE(db->commit_and_wait(std::move(fresh)));
  CHECK(bodies("c") == strings{"after the lost one"});
}

TEST_CASE("the store logs when it stops and starts taking writes, and why",
          "[recovery]") {
  switchboard::testing::temp_dir dir;
  std::atomic<bool> failing{false};
  std::mutex m;
  std::vector<std::pair<std::string, std::string>> lines;  // event, reason
  store_options o{dir.str(), durability::sync, {}};
  o.write_fault = [&] { return failing ? std::string("disk on fire") : ""; };
  o.log = [&](std::string_view, std::string_view event,
              std::initializer_list<switchboard::metrics::log_field> f) {
    std::string reason;
    for (auto& [k, v] : f)
      if (k == "reason") reason = v;
    std::lock_guard<std::mutex> lock(m);
    lines.emplace_back(event, reason);
  };
  auto db = store::open(o);
  REQUIRE(db.has_value());
  failing = true;
  batch b;
  b.put_last_seen("u", 1);
  REQUIRE(!(*db)->commit_and_wait(std::move(b)));
  failing = false;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!(*db)->writable()) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::yield();  // polls a condition with a deadline
  }
  db->reset();
  std::lock_guard<std::mutex> lock(m);
  auto has = [&](const std::string& event, const std::string& reason) {
    for (auto& [e, r] : lines)
      if (e == event && r.find(reason) != std::string::npos) return true;
    return false;
  };
  CHECK(has("store_unwritable", "disk on fire"));
  CHECK(has("store_writable", ""));
}

TEST_CASE_METHOD(faulty_store,
                 "a store that cannot write refuses a checkpoint, and takes "
                 "one once it has recovered",
                 "[recovery]") {
  auto log = conversation_log::open(*db, "c");
  REQUIRE(append(*log, "a"));
  failing = true;
  REQUIRE(!append(*log, "lost"));
  auto refused = db->checkpoint((dir.path() / "cp1").string());
  REQUIRE(!refused);
  CHECK(refused.err().code == errc::unavailable);
  failing = false;
  REQUIRE(wait_writable());
  CHECK(db->checkpoint((dir.path() / "cp2").string()));
}

TEST_CASE_METHOD(faulty_store,
                 "an I/O error in a WAL append needs a restart, and the "
                 "store closes and reopens with what it acknowledged",
                 "[recovery]") {
  auto log = conversation_log::open(*db, "c");
  for (auto b : {"1", "2"}) REQUIRE(append(*log, b));
  fs.fail_wal(fault_fs::wal_fault::append_eio);
  REQUIRE(!append(*log, "lost"));
  fs.fail_wal(fault_fs::wal_fault::none);
  // RocksDB takes a plain I/O error in a write for fatal: Resume() refuses.
  {
    std::unique_lock<std::mutex> lock(m);
    REQUIRE(cv.wait_for(lock, 10s, [this] {
      return !flips.empty() && flips.back().restart_needed;
    }));
  }
  CHECK(!db->writable());
  auto refused = append(*log, "refused");
  REQUIRE(!refused);
  CHECK(refused.err().code == errc::unavailable);
  db.reset();
  db = open();
  CHECK(db->writable());
  CHECK(bodies("c") == strings{"1", "2"});
}
