#include <chrono>
#include <map>
#include <set>
#include <string>

#include "auth/token_verifier.hpp"
#include "tests/cluster_e2e/cluster_fixture.hpp"
#include "tests/cluster_e2e/replication_support.hpp"
#include "tests/support/port_cut.hpp"

// The admin shell and API against a cluster: every command, asked of any
// node, answers for the whole cluster.

using namespace switchboard::testing;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

// Each node's connections as `status` (of node `via`) lists them.
std::map<std::string, std::int64_t> connections_by_node(json::object& st) {
  std::map<std::string, std::int64_t> out;
  for (auto& n : st["cluster"].as_object()["nodes"].as_array())
    out[std::string(n.as_object().at("node_id").as_string())] =
        n.as_object().at("connections").as_int64();
  return out;
}

// The entry of `unanswered` for `id`, or null.
const json::object* unanswered(json::object& st, const std::string& id) {
  for (auto& u : st["cluster"].as_object()["unanswered"].as_array())
    if (u.as_object().at("node_id") == id.c_str()) return &u.as_object();
  return nullptr;
}

}  // namespace

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

TEST_CASE(
    "status asked of any node counts the whole cluster and names a node that "
    "did not answer",
    "[cluster][e2e][admin]") {
  cluster_fixture cl(3);
  cl.rebalance();  // n2 owns shards: once its lease is gone it is dead
  auto alice = cl.connect(1, "alice");
  auto bob = cl.connect(2, "bob");
  auto bob2 = cl.connect(2, "bob");

  // Asked of n3, which has no client.
  json::object st;
  auto deadline = std::chrono::steady_clock::now() + 20s;
  for (;;) {
    st = cl.admin_json(3, "status");
    if (st["cluster"].as_object()["totals"].as_object()["connections"] == 3)
      break;
    INFO(json::serialize(st));
    REQUIRE(std::chrono::steady_clock::now() < deadline);
  }
  INFO(json::serialize(st));
  CHECK(st["node_id"] == "n3");
  CHECK(st["connections"] == 0);  // its own, as a standalone node tells
  auto& c = st["cluster"].as_object();
  CHECK(c["nodes_live"] == 3);
  CHECK(c["unanswered"].as_array().empty());
  CHECK(connections_by_node(st) ==
        std::map<std::string, std::int64_t>{{"n1", 1}, {"n2", 2}, {"n3", 0}});
  CHECK(c["totals"].as_object()["users_online"] == 2);
  auto plain = cl.admin(3, "status", false);
  REQUIRE(plain.status == 0);
  CHECK_THAT(plain.output, Catch::Contains("node_id: n3") &&
                               Catch::Contains("3 node(s) live") &&
                               Catch::Contains("\nn2       2 ") &&
                               Catch::Contains("\ntotal    3 "));
  // What a peer asks for: the node alone.
  auto own = http_request(cl.node(1).admin_port(), "GET",
                          "/admin/v1/status?scope=node", {},
                          "Bearer " + cl.admin_token(1));
  REQUIRE(own.status == 200);
  auto own_o = json::parse(own.body).as_object();
  CHECK(own_o["node_id"] == "n1");
  CHECK(own_o["connections"] == 1);
  CHECK_FALSE(own_o.contains("cluster"));

  // Killed, n2 is named until its lease expires (no answer) and after it
  // (dead), never left out.
  cl.node(2).kill();
  deadline = std::chrono::steady_clock::now() + 20s;
  for (;;) {
    st = cl.admin_json(3, "status");
    INFO(json::serialize(st));
    auto* u = unanswered(st, "n2");
    REQUIRE((u || connections_by_node(st).count("n2")));
    if (u && u->at("live") == false) break;
    REQUIRE(std::chrono::steady_clock::now() < deadline);
  }
  INFO(json::serialize(st));
  CHECK(st["cluster"].as_object()["nodes_live"] == 2);
  CHECK(connections_by_node(st) ==
        std::map<std::string, std::int64_t>{{"n1", 1}, {"n3", 0}});
  CHECK(st["cluster"].as_object()["totals"].as_object()["connections"] == 1);
  plain = cl.admin(3, "status", false);
  REQUIRE(plain.status == 0);
  CHECK_THAT(plain.output, Catch::Contains("\nn2       DEAD: ") &&
                               Catch::Contains("2 node(s) live"));
}

TEST_CASE(
    "a cluster-wide kick or user lookup names the nodes that did not "
    "answer, and a kick that closed nothing there is not a 'no connection'",
    "[cluster][e2e][admin]") {
  if (auto why = no_iptables(); !why.empty()) {
    WARN("skipped: " << why);
    return;
  }
  cluster_fixture cl(3);
  cl.rebalance();
  auto alice_id = user_homed_on(cl, "n1", "alice");
  auto alice = cl.connect(1, alice_id);
  auto bob = cl.connect(2, "bob");
  auto ports = cluster_ports(cl);
  REQUIRE(ports.size() == 3);
  // Every cluster port cut (etcd is another): every node stays live, and
  // n1 hears from neither peer.
  std::vector<std::unique_ptr<port_cut>> cuts;
  for (auto& [id, p] : ports) {
    cuts.push_back(std::make_unique<port_cut>(port_cut{p}));
    cuts.back()->cut();
  }
  auto named = [](json::object& o) {
    std::set<std::string> ids;
    if (auto* u = o.if_contains("unanswered"); u && u->is_array())
      for (auto& v : u->as_array())
        ids.insert(std::string(v.as_object().at("node_id").as_string()));
    return ids;
  };
  const std::set<std::string> peers{"n2", "n3"};
  auto u = cl.admin_json(1, "user " + alice_id);
  INFO(json::serialize(u));
  CHECK(u["online"] == true);
  CHECK(named(u) == peers);
  auto users = cl.admin_json(1, "users");
  INFO(json::serialize(users));
  CHECK(named(users) == peers);
  auto plain = cl.admin(1, "user " + alice_id, false);
  CHECK_THAT(plain.output, Catch::Contains("node n2 DID NOT ANSWER: "));
  // Bob's connection is on n2: no kick closed it, and nobody may say it
  // has none.
  auto kb = cl.admin(1, "kick bob");
  INFO(kb.output);
  CHECK(kb.status != 0);
  CHECK_THAT(kb.output, Catch::Contains("did not answer") &&
                            !Catch::Contains("has no connection"));
  auto k = cl.admin_json(1, "kick " + alice_id);
  INFO(json::serialize(k));
  CHECK(k["closed"] == 1);
  CHECK(named(k) == peers);
  for (auto& c : cuts) c->restore();
}
