#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <memory>

#include "actors/frame.hpp"
#include "actors/node.hpp"
#include "storage/store.hpp"
#include "tests/support/temp_dir.hpp"

using namespace switchboard;
using namespace std::chrono_literals;

namespace {

// A node's actor runtime over a store whose writes fail once `failing` is
// set, asked as REST asks it (node::request), answers awaited with a
// deadline.
struct failing_node {
  testing::temp_dir dir;
  std::atomic<bool> failing{false};
  std::unique_ptr<storage::store> store = open();
  std::unique_ptr<actors::node> rt =
      std::make_unique<actors::node>(*store, actors::node_options{});

  ~failing_node() { rt.reset(); }  // before the store it writes to

  std::unique_ptr<storage::store> open() {
    storage::store_options o{dir.str(), storage::durability::sync, {}, {}};
    o.write_fault = [this] {
      return failing ? std::string("injected write failure") : std::string();
    };
    auto s = storage::store::open(o);
    REQUIRE(s.has_value());
    return std::move(*s);
  }

  boost::json::object ask(const std::string& user, const std::string& frame) {
    auto parsed = actors::parse_frame(frame, user, rt->lim());
    REQUIRE(parsed.frame);
    auto answer = std::make_shared<std::promise<std::string>>();
    auto got = answer->get_future();
    rt->request(user, *parsed.frame,
                [answer](std::string a) { answer->set_value(std::move(a)); });
    REQUIRE(got.wait_for(10s) == std::future_status::ready);
    return boost::json::parse(got.get()).as_object();
  }

  static std::string send(const std::string& conv, const std::string& cmid) {
    return R"({"type":"send","conv_id":")" + conv + R"(","client_msg_id":")" +
           cmid + R"(","body":"hi"})";
  }
};

}  // namespace

TEST_CASE_METHOD(failing_node,
                 "a send whose write failed is an error, and so is its retry, "
                 "which is not taken for a duplicate",
                 "[conversation]") {
  auto created =
      ask("alice", R"({"type":"create","kind":"direct","members":["bob"]})");
  REQUIRE(created["type"] == "created");
  std::string conv(created["conv_id"].as_string());
  auto first = ask("alice", send(conv, "c1"));
  REQUIRE(first["type"] == "sent");

  failing = true;
  auto failed = ask("alice", send(conv, "c2"));
  CHECK(failed["type"] == "error");
  CHECK(failed["code"] == "internal");
  // The retry is tried again (and fails again: after a failed write the
  // store refuses every write), instead of waiting for a msg_id that will
  // never be durable.
  auto retry = ask("alice", send(conv, "c2"));
  CHECK(retry["type"] == "error");
  CHECK(retry["code"] == "internal");
  // What was durable before stays a duplicate.
  auto again = ask("alice", send(conv, "c1"));
  CHECK(again["type"] == "sent");
  CHECK(again["duplicate"] == true);
  CHECK(again["msg_id"] == first["msg_id"]);
}
