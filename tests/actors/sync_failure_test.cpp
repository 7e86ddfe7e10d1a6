#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>

#include "actors/frame.hpp"
#include "actors/node.hpp"
#include "storage/store_env.hpp"
#include "tests/actors/node_requests.hpp"
#include "tests/storage/fault_fs.hpp"
#include "tests/support/temp_dir.hpp"

using namespace switchboard;
using namespace std::chrono_literals;
using testing::fault_fs;

namespace {

// A node whose store runs on fault_fs: RocksDB's own failure paths.
struct fault_fs_node {
  testing::temp_dir dir;
  fault_fs fs;
  std::mutex m;
  std::condition_variable cv;
  bool writable = true;
  std::unique_ptr<storage::store> store = open();
  std::unique_ptr<actors::node> rt =
      std::make_unique<actors::node>(*store, actors::node_options{});

  ~fault_fs_node() {
    rt.reset();
    store.reset();  // before the file system
  }

  std::unique_ptr<storage::store> open() {
    storage::store_options o{dir.str(), storage::durability::sync, {}};
    o.on_health = [this](const storage::store_health& h) {
      std::lock_guard<std::mutex> lock(m);
      writable = h.writable;
      cv.notify_all();
    };
    auto s = storage::open_store_on(o, fs.env());
    REQUIRE(s.has_value());
    return std::move(*s);
  }

  bool wait_writable() {
    std::unique_lock<std::mutex> lock(m);
    return cv.wait_for(lock, 10s, [this] { return writable; });
  }

  boost::json::object ask(const std::string& user, const std::string& frame) {
    return testing::ask_frame(*rt, user, frame);
  }

  static std::string send(const std::string& conv, const std::string& cmid) {
    return testing::send_frame(conv, cmid);
  }
};

}  // namespace

TEST_CASE_METHOD(fault_fs_node,
                 "a send whose WAL sync failed is unavailable, and its retry "
                 "after recovery is a duplicate of the id it was given",
                 "[conversation]") {
  auto created =
      ask("alice", R"({"type":"create","kind":"direct","members":["bob"]})");
  REQUIRE(created["type"] == "created");
  std::string conv(created["conv_id"].as_string());
  REQUIRE(ask("alice", send(conv, "c1"))["msg_id"] == 1);
  fs.fail_wal(fault_fs::wal_fault::sync);
  auto failed = ask("alice", send(conv, "c2"));
  CHECK(failed["code"] == "unavailable");
  fs.fail_wal(fault_fs::wal_fault::none);
  REQUIRE(wait_writable());
  // The write was applied before its sync failed, and the recovery kept
  // it: the retry finds it (docs/operations.md, "A full disk").
  auto retry = ask("alice", send(conv, "c2"));
  REQUIRE(retry["type"] == "sent");
  CHECK(retry["msg_id"] == 2);
  CHECK(retry["duplicate"] == true);
  auto next = ask("alice", send(conv, "c3"));
  CHECK(next["msg_id"] == 3);
  CHECK(next["duplicate"] == false);
}
