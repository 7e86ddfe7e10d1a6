#include <chrono>

#include "tests/cluster_e2e/cluster_fixture.hpp"

using namespace switchboard::testing;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

// A group of `members` created through `c` whose conversation lands on
// `node`: group ids are random, so groups are created until one does (a
// third of them, with three nodes).
std::string group_on(cluster_fixture& cl, ws_client& c, const std::string& node,
                     std::vector<std::string> members) {
  for (int i = 0; i < 64; ++i) {
    auto conv = e2e_fixture::create(c, "group", members, "t");
    if (cl.owner_of(conv) == node) return conv;
  }
  FAIL("no group landed on " << node);
  return {};
}

}  // namespace

TEST_CASE("three nodes: users on two nodes, their conversation on the third",
          "[cluster][e2e]") {
  cluster_fixture cl(3);
  REQUIRE(cl.rebalance() > 0);
  // Every node owns shards now.
  auto nodes = cl.admin_json(2, "nodes");
  for (auto& n : nodes["nodes"].as_array())
    CHECK(n.as_object().at("shards").as_int64() > 0);

  auto alice_id = user_homed_on(cl, "n1", "alice");
  auto bob_id = user_homed_on(cl, "n2", "bob");
  // alice connects to n2, bob to n3: neither is on its home node.
  auto alice = cl.connect(2, alice_id);
  auto bob = cl.connect(3, bob_id);
  auto conv = group_on(cl, *alice, "n3", {alice_id, bob_id});

  auto sent = e2e_fixture::send(*alice, conv, "hello across nodes", "m1");
  REQUIRE(sent["type"] == "sent");
  auto ev = bob->expect("message");
  CHECK(ev["body"] == "hello across nodes");
  CHECK(str(ev["sender"]) == alice_id);
  CHECK(ev["msg_id"] == sent["msg_id"]);

  // Idempotent: the same client_msg_id gets the same msg_id.
  auto again = e2e_fixture::send(*alice, conv, "hello across nodes", "m1");
  CHECK(again["msg_id"] == sent["msg_id"]);

  // Receipts and typing go back the other way.
  bob->send(json::object{{"type", "read"}, {"conv_id", conv},
                         {"msg_id", sent["msg_id"]}});
  auto receipt = alice->expect("receipt");
  CHECK(str(receipt["user_id"]) == bob_id);
  bob->send(json::object{{"type", "typing"}, {"conv_id", conv}});
  CHECK(str(alice->expect("typing")["user_id"]) == bob_id);

  // History from either side, gap-free.
  for (int i = 2; i <= 20; ++i)
    REQUIRE(e2e_fixture::send(*bob, conv, "m" + std::to_string(i),
                              "b" + std::to_string(i))["type"] == "sent");
  auto ids = e2e_fixture::history_ids(*alice, conv);
  REQUIRE(ids.size() == 20);
  for (std::size_t i = 0; i < ids.size(); ++i) CHECK(ids[i] == i + 1);

  // A member added from a third node hears of it, and of what follows.
  auto carol_id = user_homed_on(cl, "n3", "carol");
  auto carol = cl.connect(1, carol_id);
  auto added = alice->request(json::object{{"type", "members"},
                                           {"conv_id", conv},
                                           {"add", json::array{carol_id}}});
  REQUIRE(added["type"] == "ok");
  REQUIRE(e2e_fixture::send(*alice, conv, "welcome carol", "m21")["type"] ==
          "sent");
  CHECK(carol->expect("message")["body"] == "welcome carol");

  // A second device of bob on another node gets what the first does.
  auto bob2 = cl.connect(1, bob_id);
  bob->clear();
  REQUIRE(e2e_fixture::send(*alice, conv, "both devices", "m22")["type"] ==
          "sent");
  CHECK(bob->expect("message")["body"] == "both devices");
  CHECK(bob2->expect("message")["body"] == "both devices");
}

TEST_CASE("a dead node costs only its shards, and returns with all it acked",
          "[cluster][e2e]") {
  cluster_fixture cl(3);
  cl.rebalance();
  auto alice_id = user_homed_on(cl, "n1", "alice");
  auto bob_id = user_homed_on(cl, "n1", "bob");
  auto alice = cl.connect(1, alice_id);
  auto bob = cl.connect(1, bob_id);
  auto on3 = group_on(cl, *alice, "n3", {alice_id, bob_id});
  auto on2 = group_on(cl, *alice, "n2", {alice_id, bob_id});
  for (int i = 1; i <= 10; ++i)
    REQUIRE(e2e_fixture::send(*alice, on3, "x", "a" + std::to_string(i))
                ["type"] == "sent");

  cl.node(3).kill();
  // The dead node's conversation: unavailable, fast, never a hang.
  auto start = std::chrono::steady_clock::now();
  auto r = e2e_fixture::send(*alice, on3, "y", "a11");
  CHECK(r["type"] == "error");
  CHECK(r["code"] == "unavailable");
  CHECK(r["retry_after_ms"].as_int64() > 0);
  CHECK(std::chrono::steady_clock::now() - start < 2500ms);
  // Everything else keeps working.
  for (int i = 1; i <= 10; ++i)
    REQUIRE(e2e_fixture::send(*alice, on2, "z", "b" + std::to_string(i))
                ["type"] == "sent");

  cl.node(3).start();
  // Back with everything it acknowledged, and writable again.
  auto deadline = std::chrono::steady_clock::now() + 20s;
  json::object back;
  do {
    back = e2e_fixture::send(*alice, on3, "y", "a11");
    if (back["type"] == "sent") break;
    REQUIRE(back["code"] == "unavailable");
    REQUIRE(std::chrono::steady_clock::now() < deadline);
  } while (true);
  CHECK(back["msg_id"] == 11);
  auto ids = e2e_fixture::history_ids(*bob, on3);
  REQUIRE(ids.size() == 11);
  for (std::size_t i = 0; i < ids.size(); ++i) CHECK(ids[i] == i + 1);
}
