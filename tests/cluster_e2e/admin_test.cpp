#include <chrono>
#include <string>

#include "auth/token_verifier.hpp"
#include "tests/cluster_e2e/cluster_fixture.hpp"

// The admin shell and API against a cluster: every command, asked of any
// node, answers for the whole cluster.

using namespace switchboard::testing;
using namespace std::chrono_literals;
namespace json = boost::json;

TEST_CASE("the admin shell of any node sees and acts on the whole cluster",
          "[cluster][e2e][admin]") {
  cluster_fixture cl(3);
  cl.rebalance();
  auto alice_id = user_homed_on(cl, "n2", "alice");
  auto alice = cl.connect(3, alice_id);
  auto conv = group_on(cl, *alice, "n3", {alice_id, "bob"});
  REQUIRE(e2e_fixture::send(*alice, conv, "for the operator", "o1")["type"] ==
          "sent");

  // Asked on n1, answered by the owners.
  auto c = cl.admin_json(1, "conv " + conv);
  CHECK(c["members"].as_array().size() == 2);
  CHECK(c["last_msg_id"] == 1);
  auto t = cl.admin_json(1, "tail " + conv);
  REQUIRE(t["messages"].as_array().size() == 1);
  CHECK(t["messages"].as_array()[0].as_object().at("body") ==
        "for the operator");
  auto u = cl.admin_json(1, "user " + alice_id);
  CHECK(u["online"] == true);
  CHECK(u["connections"].as_array().size() == 1);
  CHECK(u["conversations"].as_int64() >= 1);
  auto users = cl.admin_json(1, "users");
  bool listed = false;
  for (auto& x : users["users"].as_array()) listed |= x == alice_id.c_str();
  CHECK(listed);
  auto shards = cl.admin_json(1, "shards");
  CHECK(shards["shards"].as_array().size() == cluster_fixture::shards);

  // kick from n1 closes alice's connection on n3.
  auto k = cl.admin_json(1, "kick " + alice_id);
  CHECK(k["closed"] == 1);
  CHECK(alice->wait_closed() == 1008);

  // revoke from n1: her older tokens are refused on every node.
  auto old_token = [&] {
    auto now = switchboard::auth::now_s();
    switchboard::auth::claims c{alice_id, now + 3600};
    c.iat = now - 5;
    return switchboard::auth::sign_token(node_process::secret, c);
  }();
  ws_client again(cl.node(2).port(), old_token);
  auto rv = cl.admin_json(1, "revoke " + alice_id);
  CHECK(rv["closed"] == 1);
  CHECK(again.wait_closed() == 1008);
  for (int i = 1; i <= 3; ++i)
    CHECK(http_request(cl.node(i).port(), "GET", "/v1/conversations", {},
                       "Bearer " + old_token)
              .status == 401);
  // A node that joins later knows it too.
  cl.add_node();
  CHECK(http_request(cl.node(4).port(), "GET", "/v1/conversations", {},
                     "Bearer " + old_token)
            .status == 401);
}
