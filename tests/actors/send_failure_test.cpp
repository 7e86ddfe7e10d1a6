#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>

#include "actors/frame.hpp"
#include "actors/node.hpp"
#include "storage/store.hpp"
#include "tests/actors/node_requests.hpp"
#include "tests/support/temp_dir.hpp"

using namespace switchboard;
using namespace std::chrono_literals;

namespace {

// A node's actor runtime over a store whose writes fail while `failing` is
// set (and which then recovers by itself), asked as REST asks it
// (node::request), answers awaited with a deadline.
struct failing_node {
  testing::temp_dir dir;
  std::atomic<bool> failing{false};
  std::atomic<int> writes{0};   // group writes and recovery attempts
  std::atomic<int> fail_at{0};  // that one fails, when not 0
  std::mutex m;
  std::condition_variable cv;
  std::vector<bool> flips;  // store_health::writable, as it changed
  std::unique_ptr<storage::store> store = open();
  std::unique_ptr<actors::node> rt =
      std::make_unique<actors::node>(*store, testing::unthrottled());

  ~failing_node() { rt.reset(); }  // before the store it writes to

  std::unique_ptr<storage::store> open() {
    storage::store_options o{dir.str(), storage::durability::sync, {}, {}};
    o.write_fault = [this] {
      bool fail = failing || ++writes == fail_at;
      return fail ? std::string("injected write failure") : std::string();
    };
    o.on_health = [this](const storage::store_health& h) {
      std::lock_guard<std::mutex> lock(m);
      flips.push_back(h.writable);
      cv.notify_all();
    };
    auto s = storage::store::open(o);
    REQUIRE(s.has_value());
    return std::move(*s);
  }

  // Heals the store and waits until it takes writes again.
  void heal() {
    failing = false;
    std::unique_lock<std::mutex> lock(m);
    REQUIRE(cv.wait_for(lock, 10s,
                        [this] { return !flips.empty() && flips.back(); }));
  }

  boost::json::object ask(const std::string& user, const std::string& frame) {
    return testing::ask_frame(*rt, user, frame);
  }

  std::string create(const std::string& kind, const std::string& members) {
    auto c = ask("alice", R"({"type":"create","kind":")" + kind +
                              R"(","members":[)" + members + "]}");
    REQUIRE(c["type"] == "created");
    return std::string(c["conv_id"].as_string());
  }

  static std::string send(const std::string& conv, const std::string& cmid) {
    return testing::send_frame(conv, cmid);
  }
  static std::string sync(const std::string& conv) {
    return testing::sync_frame(conv);
  }
};

}  // namespace

TEST_CASE_METHOD(failing_node,
                 "a send whose write failed is unavailable, never sent, and "
                 "after recovery the next send takes the next msg_id",
                 "[conversation]") {
  auto conv = create("direct", R"("bob")");
  auto first = ask("alice", send(conv, "c1"));
  REQUIRE(first["type"] == "sent");

  failing = true;
  auto failed = ask("alice", send(conv, "c2"));
  CHECK(failed["type"] == "error");
  CHECK(failed["code"] == "unavailable");
  CHECK(failed["retry_after_ms"].as_int64() > 0);
  // The retry is tried again, not answered as a duplicate of an id that
  // was never stored.
  auto retry = ask("alice", send(conv, "c2"));
  CHECK(retry["code"] == "unavailable");

  heal();
  auto again = ask("alice", send(conv, "c2"));
  REQUIRE(again["type"] == "sent");
  CHECK(again["msg_id"] == 2);  // no gap where the failed write was
  CHECK(again["duplicate"] == false);
  auto dup = ask("alice", send(conv, "c1"));
  CHECK(dup["duplicate"] == true);
  CHECK(dup["msg_id"] == first["msg_id"]);
  auto h = ask("bob", sync(conv));
  REQUIRE(h["type"] == "history");
  CHECK(h["messages"].as_array().size() == 2);
}

TEST_CASE_METHOD(failing_node,
                 "a member added by a write that failed is not a member",
                 "[conversation]") {
  auto conv = create("group", R"("bob")");
  failing = true;
  auto add = ask("alice", R"({"type":"members","conv_id":")" + conv +
                              R"(","add":["carol"]})");
  CHECK(add["code"] == "unavailable");
  // Reads still work while the store cannot write; carol is not in.
  CHECK(ask("carol", sync(conv))["code"] == "forbidden");
  heal();
  CHECK(ask("carol", sync(conv))["code"] == "forbidden");
  auto again = ask("alice", R"({"type":"members","conv_id":")" + conv +
                                R"(","add":["carol"]})");
  CHECK(again["type"] == "ok");
  CHECK(ask("carol", sync(conv))["type"] == "history");
}

TEST_CASE_METHOD(failing_node,
                 "a cursor moved by a write that failed is written by the "
                 "retry",
                 "[conversation]") {
  auto conv = create("direct", R"("bob")");
  REQUIRE(ask("alice", send(conv, "c1"))["type"] == "sent");
  auto ack = R"({"type":"ack","conv_id":")" + conv + R"(","msg_id":1})";
  failing = true;
  CHECK(ask("bob", ack)["code"] == "unavailable");
  heal();
  CHECK(ask("bob", ack)["type"] == "ok");
  auto bob = store->member(conv, "bob");
  REQUIRE(bob.has_value());
  REQUIRE(bob->has_value());
  CHECK((*bob)->delivered_upto == 1);
}

TEST_CASE_METHOD(failing_node,
                 "sends in flight when a write fails are sent or unavailable, "
                 "and the sent ones have gap-free ids",
                 "[conversation]") {
  auto conv = create("group", R"("bob")");
  std::vector<std::uint64_t> sent;
  int unavailable = 0, sent_after_failure = 0;
  // Waves of sends in flight together; a group write of wave 4 fails, and
  // the store recovers by itself while later waves come.
  auto deadline = std::chrono::steady_clock::now() + 10s;
  for (int wave = 0; std::chrono::steady_clock::now() < deadline; ++wave) {
    if (wave == 4) fail_at = writes + 1;
    std::vector<std::future<std::string>> answers;
    for (int i = 0; i < 15; ++i) {
      auto cmid = "w" + std::to_string(wave) + "-" + std::to_string(i);
      answers.push_back(testing::request_frame(*rt, "alice", send(conv, cmid)));
    }
    for (auto& a : answers) {
      auto o = testing::answer_of(a);
      if (o["type"] == "sent") {
        sent.push_back(o["msg_id"].to_number<std::uint64_t>());
        if (unavailable > 0) ++sent_after_failure;
      } else {
        REQUIRE(o["code"] == "unavailable");
        ++unavailable;
      }
    }
    if (sent_after_failure > 30) break;
  }
  CHECK(unavailable > 0);
  CHECK(sent_after_failure > 0);
  std::sort(sent.begin(), sent.end());
  for (std::size_t i = 0; i < sent.size(); ++i) REQUIRE(sent[i] == i + 1);
  // The store holds exactly the sent ones.
  auto stored = store->read_after(conv, 0, 1000);
  REQUIRE(stored.has_value());
  CHECK(stored->messages.size() == sent.size());
}
