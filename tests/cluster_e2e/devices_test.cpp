#include "tests/cluster_e2e/cluster_fixture.hpp"

using namespace switchboard::testing;
namespace json = boost::json;
using namespace std::chrono_literals;

TEST_CASE("a sender's other device on another node gets its messages",
          "[cluster][e2e]") {
  cluster_fixture cl(2);
  cl.rebalance();
  // alice is homed on n1 and sends from n1 into a conversation of n1; her
  // other device is on n2. Only her user actor (on n1) knows of it.
  auto alice_id = user_homed_on(cl, "n1", "alice");
  auto bob_id = user_homed_on(cl, "n2", "bob");
  auto alice = cl.connect(1, alice_id);
  auto alice2 = cl.connect(2, alice_id);
  auto bob = cl.connect(2, bob_id);
  auto conv = group_on(cl, *alice, "n1", {alice_id, bob_id});
  auto sent = e2e_fixture::send(*alice, conv, "to every device", "m1");
  REQUIRE(sent["type"] == "sent");
  auto mine = alice2->expect("message");
  CHECK(mine["body"] == "to every device");
  CHECK(mine["msg_id"] == sent["msg_id"]);
  CHECK(bob->expect("message")["msg_id"] == sent["msg_id"]);
  // Her read on n1 reaches her device on n2 as a receipt too.
  alice->send(json::object{
      {"type", "read"}, {"conv_id", conv}, {"msg_id", sent["msg_id"]}});
  auto r = alice2->expect("receipt");
  CHECK(str(r["user_id"]) == alice_id);
}

TEST_CASE("a burst reaches members on other nodes once each, in order",
          "[cluster][e2e]") {
  cluster_fixture cl(3, {"--send-rate", "100000", "--send-burst", "100000"});
  cl.rebalance();
  auto alice_id = user_homed_on(cl, "n1", "alice");
  auto bob_id = user_homed_on(cl, "n3", "bob");
  auto alice = cl.connect(1, alice_id);
  auto alice2 = cl.connect(3, alice_id);
  auto bob = cl.connect(2, bob_id);
  auto conv = group_on(cl, *alice, "n2", {alice_id, bob_id});
  // Sent without waiting, so that the conversation writes several at a
  // time and each write's messages travel together.
  constexpr int n = 200;
  e2e_fixture::send_pipelined(*alice, conv, n, "b");
  for (int i = 1; i <= n; ++i) CHECK(alice->expect("sent")["type"] == "sent");
  for (auto* c : {bob.get(), alice2.get()}) e2e_fixture::expect_in_order(*c, n);
  CHECK_FALSE(alice->has("message"));
  // Sends that waited behind one in flight went to n2 together.
  auto asked = metric(cl.node(1).port(),
                      "switchboard_cluster_requests_total{kind=\"send\","
                      "outcome=\"ok\"}");
  INFO("remote send requests for " << n << " sends: " << asked);
  CHECK(asked >= 1);
  CHECK(asked < n / 2);
}

TEST_CASE(
    "a user's device cap holds when its devices are registered through a "
    "node that does not own its shard",
    "[cluster][e2e]") {
  cluster_fixture cl(
      2, {"--max-devices-per-user", "3", "--rate-devices", "1000/1000"});
  cl.rebalance();
  auto carol_id = user_homed_on(cl, "n2", "carol");
  auto call = [&](const char* method, const std::string& token) {
    return http_request(cl.node(1).port(), method, "/v1/devices",
                        token.empty()
                            ? std::string()
                            : json::serialize(json::object{{"platform", "fcm"},
                                                           {"token", token}}),
                        "Bearer " + cl.node(1).token(carol_id));
  };
  for (int i = 1; i <= 5; ++i)
    REQUIRE(call("POST", "d" + std::to_string(i)).status == 204);
  // Trimmed by the owner once written: wait for it, with a deadline.
  std::vector<std::string> tokens;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  do {
    tokens.clear();
    auto listed = call("GET", "");
    REQUIRE(listed.status == 200);
    auto body = listed.json();
    for (auto& d : body.at("devices").as_array())
      tokens.push_back(std::string(d.at("token").as_string()));
  } while (tokens.size() > 3 && std::chrono::steady_clock::now() < deadline);
  CHECK(tokens == std::vector<std::string>{"d3", "d4", "d5"});
  // The owner's node lists the same.
  auto there = http_request(cl.node(2).port(), "GET", "/v1/devices", {},
                            "Bearer " + cl.node(2).token(carol_id));
  CHECK(there.json().at("devices").as_array().size() == 3);
}
