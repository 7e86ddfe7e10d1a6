#include "tests/cluster_e2e/cluster_fixture.hpp"
#include "tests/support/fake_gateway.hpp"

// Push notifications in a cluster (docs/push.md): a member's job is made
// by its conversation's node and sent by its user's node, which holds the
// user's devices; the badge counts conversations on every node.
using namespace switchboard::testing;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

using gateway = fake_gateway;

// Nodes that push through `gw` at once.
std::vector<std::string> push_args(gateway& gw) {
  return {"--push-grace-ms",       "0",
          "--push-gateway-url",    gw.server.url(),
          "--push-gateway-app-id", "org.example.chat",
          "--rate-create",         "1000/1000"};
}

// A user homed on `node` with a phone (pushkey "pk-bob"), registered
// through n1.
std::string user_with_phone(cluster_fixture& cl, const std::string& node,
                            const std::string& name) {
  auto id = user_homed_on(cl, node, name);
  auto r = http_request(cl.node(1).port(), "POST", "/v1/devices",
                        R"({"platform":"gateway","token":"pk-bob"})",
                        "Bearer " + cl.node(1).token(id));
  REQUIRE(r.status == 204);
  return id;
}

}  // namespace

TEST_CASE(
    "in a cluster an offline member's push is sent by its user's node, "
    "with the badge of every node's conversations, and cleared on a read "
    "elsewhere",
    "[cluster][e2e][push]") {
  gateway g;
  auto& gw = g.server;
  cluster_fixture cl(3, push_args(g));
  cl.rebalance();
  auto alice_id = user_homed_on(cl, "n1", "alice");
  // bob's phone, registered through n1: kept at n3, his shard's node.
  auto bob_id = user_with_phone(cl, "n3", "bob");
  // Listed from another node than his shard's too.
  auto listed = http_request(cl.node(2).port(), "GET", "/v1/devices", {},
                             "Bearer " + cl.node(2).token(bob_id));
  REQUIRE(listed.status == 200);
  CHECK(json::parse(listed.body).at("devices").at(0).at("token") == "pk-bob");
  auto alice = cl.connect(1, alice_id);
  // Three conversations with unread messages for bob, one on each node
  // (n3's is counted from bob's own node's store).
  auto first = group_on(cl, *alice, "n1", {alice_id, bob_id});
  REQUIRE(e2e_fixture::send(*alice, first, "one", "m1")["type"] == "sent");
  REQUIRE(gw.wait_for(1, 20s));
  auto own = group_on(cl, *alice, "n3", {alice_id, bob_id});
  REQUIRE(e2e_fixture::send(*alice, own, "two", "m2")["type"] == "sent");
  REQUIRE(gw.wait_for(2, 20s));
  auto conv = group_on(cl, *alice, "n2", {alice_id, bob_id});
  REQUIRE(e2e_fixture::send(*alice, conv, "three", "m3")["type"] == "sent");
  REQUIRE(gw.wait_for(3, 20s));
  auto sent = g.notifications();
  REQUIRE(sent.size() == 3);
  CHECK(sent[0].at("room_id") == json::value(first));
  CHECK(sent[0].at("counts").at("unread") == 1);
  CHECK(sent[1].at("room_id") == json::value(own));
  CHECK(sent[1].at("counts").at("unread") == 2);
  CHECK(sent[2].at("room_id") == json::value(conv));
  CHECK(sent[2].at("event_id") == json::value(conv + ":1"));
  CHECK(sent[2].at("counts").at("unread") == 3);  // one on each node
  // Sent from bob's node, not the conversations'.
  wait_metric(cl.node(3), "switchboard_push_sent_total", 3);
  CHECK(metric(cl.node(1).port(), "switchboard_push_sent_total") == 0);
  CHECK(metric(cl.node(2).port(), "switchboard_push_sent_total") == 0);

  // The admin shell of any node shows bob's devices and tests them at
  // his node.
  auto shown = cl.admin_json(2, "user " + bob_id);
  CHECK(shown["devices"].at(0).at("platform") == "gateway");
  CHECK(shown["pending_pushes"] == 0);
  auto tested = cl.admin_json(1, "push test " + bob_id);
  CHECK(tested["devices"].at(0).at("outcome") == "sent");
  REQUIRE(gw.wait_for(4, 20s));
  CHECK(g.notifications().back().at("event_id") == "switchboard-test:0");

  // bob reads the n2 conversation on n1: his node clears it.
  auto bob = cl.connect(1, bob_id);
  bob->send(json::object{{"type", "read"}, {"conv_id", conv}, {"msg_id", 1}});
  REQUIRE(gw.wait_for(5, 20s));
  sent = g.notifications();
  REQUIRE(sent.size() == 5);
  CHECK_FALSE(sent[4].contains("event_id"));
  CHECK(sent[4].at("counts").at("unread") == 2);  // n1's and n3's are left
}

TEST_CASE(
    "a push its user's node had not sent when it died is sent by the copy "
    "that takes the user's shard",
    "[cluster][e2e][push][replication]") {
  gateway gw;
  // Taken for now by nobody: the job stays in bob's node's outbox.
  gw.answer(503, "{}", {{"retry-after", "3"}});
  auto a = push_args(gw);
  a.insert(a.end(), {"--replicas", "3"});
  cluster_fixture cl(3, a);
  cl.rebalance();
  auto alice_id = user_homed_on(cl, "n1", "alice");
  auto bob_id = user_with_phone(cl, "n3", "bob");
  auto alice = cl.connect(1, alice_id);
  auto conv = group_on(cl, *alice, "n2", {alice_id, bob_id});
  REQUIRE(e2e_fixture::send(*alice, conv, "hi", "m1")["type"] == "sent");
  REQUIRE(gw.server.wait_for(1, 20s));  // n3 tried, and was refused
  cl.node(3).kill();
  gw.answer(200, R"({"rejected":[]})");
  // A copy of bob's shard leads it now and sends what n3 left.
  REQUIRE(gw.server.wait_for(2, 30s));
  auto last = json::parse(gw.server.requests().back().body)
                  .at("notification")
                  .as_object();
  CHECK(last.at("event_id") == json::value(conv + ":1"));
  CHECK(last.at("devices").at(0).at("pushkey") == "pk-bob");
  auto heir = cl.owner_of(bob_id, 1);
  REQUIRE(heir != "n3");
  // Once: by the copy that leads bob's shard now, not by the other one.
  auto& taker = cl.node(heir == "n1" ? 1 : 2);
  auto& other = cl.node(heir == "n1" ? 2 : 1);
  wait_metric(taker, "switchboard_push_sent_total", 1);
  CHECK(metric(other.port(), "switchboard_push_backlog") == 0);
  CHECK(metric(other.port(), "switchboard_push_sent_total") == 0);
  CHECK(gw.server.requests().size() == 2);
}
