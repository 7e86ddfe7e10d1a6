#include "tests/cluster_e2e/cluster_fixture.hpp"

// Channels in a cluster: the channel's node delivers to its online members
// wherever their user actors and connections are, and drops those whose
// node dies.
using namespace switchboard::testing;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

double fanout(cluster_fixture& cl, int i) {
  return metric(cl.node(i).port(), "switchboard_fanout_members_total");
}

// Sends from `from` until a message of it visits `want` members at the
// channel's node `at` (its members' actors tell it of changes
// asynchronously, and a restarted node refuses to watch users until it
// owns their shards again, which may take several seconds); fails after
// 60 s.
void send_until_visits(cluster_fixture& cl, int at, ws_client& from,
                       const std::string& conv, double want,
                       const std::string& stem) {
  auto deadline = std::chrono::steady_clock::now() + 60s;
  for (int i = 0;; ++i) {
    auto before = fanout(cl, at);
    auto sent = e2e_fixture::send(from, conv, stem, stem + std::to_string(i));
    INFO(stem << ": " << boost::json::serialize(sent));
    REQUIRE(sent["type"] == "sent");
    // The fan-out follows the `sent` inside the conversation's actor; the
    // metric is read after.
    auto after = fanout(cl, at);
    for (int tries = 0; after - before < want && tries < 50; ++tries) {
      std::this_thread::sleep_for(10ms);  // a poll of /metrics
      after = fanout(cl, at);
    }
    if (after - before == want) return;
    INFO(stem << ": visited " << after - before << ", want " << want);
    REQUIRE(std::chrono::steady_clock::now() < deadline);
  }
}

// Reads `c`'s messages until the one sent as `cmid` (earlier ones of the
// test's loops may still be arriving).
void expect_cmid(ws_client& c, const std::string& cmid) {
  for (;;) {
    auto m = c.expect("message");
    if (m["client_msg_id"] == cmid.c_str()) return;
  }
}

}  // namespace

TEST_CASE(
    "a channel in a cluster delivers to online members of every node and "
    "drops those whose node dies",
    "[cluster][e2e][channel]") {
  cluster_fixture cl(3, {"--fanout-threshold", "3", "--send-rate", "1000",
                         "--send-burst", "1000"});
  cl.rebalance();
  auto alice_id = user_homed_on(cl, "n1", "alice");
  auto bob_id = user_homed_on(cl, "n2", "bob");
  auto carol_id = user_homed_on(cl, "n3", "carol");
  auto alice = cl.connect(1, alice_id);
  // bob's actor is on n2, his connection on n3.
  auto bob = cl.connect(3, bob_id);
  auto conv = group_on(cl, *alice, "n1",
                       {alice_id, bob_id, carol_id, "x1", "x2", "x3"});
  CHECK(metric(cl.node(1).port(), "switchboard_channels") == 1);
  auto sent = e2e_fixture::send(*alice, conv, "first", "first");
  REQUIRE(sent["type"] == "sent");
  CHECK(bob->expect("message")["client_msg_id"] == "first");

  // carol comes online through n1; her actor on n3 tells the channel.
  auto carol = cl.connect(1, carol_id);
  send_until_visits(cl, 1, *alice, conv, 3, "three");
  REQUIRE(e2e_fixture::send(*alice, conv, "to all", "all")["type"] == "sent");
  expect_cmid(*carol, "all");
  expect_cmid(*bob, "all");
  // The cursors on request, from a node the channel is not on.
  auto r = bob->request({{"type", "receipts"},
                         {"conv_id", conv},
                         {"user_ids", json::array{alice_id.c_str(), "x1"}}});
  REQUIRE(r["type"] == "receipts");
  REQUIRE(r["receipts"].as_array().size() == 2);
  CHECK(r["receipts"].as_array()[0].at("user_id") == alice_id.c_str());

  // n3 dies: bob's connection with it, carol's actor with it. Neither is
  // visited any more.
  cl.node(3).kill();
  send_until_visits(cl, 1, *alice, conv, 1, "one");

  // n3 comes back: carol's connection registers with her actor again, and
  // the channel watches her there.
  cl.node(3).start();
  cl.wait_live(1, 3);
  cl.wait_connected();
  send_until_visits(cl, 1, *alice, conv, 2, "two");
  REQUIRE(e2e_fixture::send(*alice, conv, "back", "back")["type"] == "sent");
  expect_cmid(*carol, "back");
}

TEST_CASE("a channel watches its members where a rebalance moved their shards",
          "[cluster][e2e][channel]") {
  const std::vector<std::string> args = {
      "--fanout-threshold", "3", "--send-rate", "1000", "--send-burst", "1000"};
  cluster_fixture cl(1, args);
  // carol's shard goes to n2 when n2 joins; she is offline until then.
  auto carol = user_placed_on("n2", {"n1", "n2"}, "carol");
  auto alice = cl.connect(1, "alice");
  auto conv = e2e_fixture::create(*alice, "group", {carol, "x1", "x2", "x3"});
  REQUIRE(e2e_fixture::send(*alice, conv, "before", "before")["type"] ==
          "sent");
  // The same limits on n2: the conversation may move there too.
  cl.add_node(args);
  cl.rebalance();
  REQUIRE(cl.owner_of(carol) == "n2");
  // She connects through n1; her actor on n2 tells the channel (on either
  // node now), which watches her there.
  auto c = cl.connect(1, carol);
  int at = cl.owner_of(conv) == "n1" ? 1 : 2;
  send_until_visits(cl, at, *alice, conv, 2, "moved");
  REQUIRE(e2e_fixture::send(*alice, conv, "after", "after")["type"] == "sent");
  expect_cmid(*c, "after");
}
