#include <chrono>
#include <functional>
#include <map>
#include <string>

#include "actors/directory.hpp"
#include "tests/cluster_e2e/replication_support.hpp"

// Live deliveries while the recipient's shard changes hands
// (actors/stray_delivery.hpp): every acknowledged message reaches the
// recipient's connection as a `message` event, once, without a sync.
using namespace switchboard::testing;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

// Reads `reader`'s message events until the last acknowledged one came,
// and checks that each acknowledged message came exactly once.
void expect_each_live(ws_client& reader, const sender& s) {
  REQUIRE(!s.acked.empty());
  std::map<std::uint64_t, int> got;
  auto last = s.acked.back().second;
  while (got.count(last) == 0) {
    auto m = reader.wait_for("message", 10s);
    INFO("messages received: " << got.size() << " of " << s.acked.size());
    REQUIRE(m);
    ++got[e2e_fixture::u64((*m)["msg_id"])];
  }
  std::size_t missing = 0, doubled = 0;
  for (auto& [cmid, id] : s.acked) {
    auto it = got.find(id);
    if (it == got.end())
      ++missing;
    else if (it->second > 1)
      ++doubled;
  }
  INFO(s.acked.size() << " acknowledged");
  CHECK(missing == 0);
  CHECK(doubled == 0);
}

// Users sent events on every node, summed over n1 and n2 (n3 may be dead).
double strays(cluster_fixture& cl) {
  return metric(cl.node(1).port(), "switchboard_stray_deliveries_total") +
         metric(cl.node(2).port(), "switchboard_stray_deliveries_total");
}

// Lets `s` send until the shard's new leader has had it for longer than
// it is unsettled (directory::settle_time): by then its deliveries go
// through the user's actor there, with which the connection registered.
void send_past_settling(sender& s) {
  auto settled = std::chrono::steady_clock::now() +
                 switchboard::actors::directory::settle_time + 1s;
  while (std::chrono::steady_clock::now() < settled) wait_acks(s, 10);
}

// alice sends to `conv` from n1 at 200 messages a second while `fault`
// hands bob's shard to another node, and until the new leader has had it
// settled; then every message she had acknowledged reaches bob's
// connection live, once.
void live_across(cluster_fixture& cl, ws_client& bob, const std::string& conv,
                 const std::string& alice_id,
                 const std::function<void()>& fault) {
  sender s;
  s.conv = conv;
  s.pace = 5ms;
  sender_thread t(s, cl.node(1).port(), cl.node(1).token(alice_id));
  wait_acks(s, 30);
  fault();
  send_past_settling(s);
  t.join();
  INFO(s.failure);
  REQUIRE(s.failure.empty());
  expect_each_live(bob, s);
  CHECK(strays(cl) > 0);  // the path that kept them live
}

}  // namespace

TEST_CASE(
    "a user's connection gets every message live while the user's shard "
    "moves to another node",
    "[cluster][e2e]") {
  cluster_fixture cl(1, {"--send-rate", "100000", "--send-burst", "100000"});
  // bob's shard goes to n2 when n2 joins; his connection stays on n1.
  auto bob_id = user_placed_on("n2", {"n1", "n2"}, "bob");
  auto alice_id = user_placed_on("n1", {"n1", "n2"}, "alice");
  auto bob = cl.connect(1, bob_id);
  std::string conv;
  {
    auto alice = cl.connect(1, alice_id);
    conv = e2e_fixture::create(*alice, "direct", {bob_id});
  }
  live_across(cl, *bob, conv, alice_id, [&] {
    cl.add_node();
    cl.rebalance();
    REQUIRE(cl.owner_of(bob_id) == "n2");
  });
}

TEST_CASE(
    "a user's connection gets every message live while the leader of the "
    "user's shard fails over",
    "[cluster][e2e][replication]") {
  cluster_fixture cl(3, replicated);
  cl.wait_live(1, 3);
  wait_in_sync(cl, 1, 3);
  cl.rebalance();
  // bob's leader dies; his connection and the conversation are elsewhere.
  auto bob_id = user_homed_on(cl, "n3", "bob");
  auto alice_id = user_homed_on(cl, "n1", "alice");
  auto bob = cl.connect(1, bob_id);
  std::string conv;
  {
    auto alice = cl.connect(1, alice_id);
    conv = group_on(cl, *alice, "n2", {bob_id});
  }
  bob->expect("members");
  live_across(cl, *bob, conv, alice_id, [&] {
    cl.node(3).kill();
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (cl.owner_of(bob_id, 1) == "n3") {
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      std::this_thread::sleep_for(50ms);  // a poll of the admin API
    }
  });
}
