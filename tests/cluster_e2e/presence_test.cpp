#include <chrono>

#include "tests/cluster_e2e/cluster_fixture.hpp"

using namespace switchboard::testing;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

// Waits for a presence event that shows `id` online (the watcher may get
// the unchanged status once more first, when it subscribes again).
void expect_online(ws_client& watcher, const std::string& id) {
  e2e_fixture::expect_status(
      watcher, id, [](const json::object& o) { return o.at("online") == true; },
      20s);
}

}  // namespace

TEST_CASE("a presence subscription follows its user's shard and node",
          "[cluster][e2e]") {
  cluster_fixture cl(1);
  // carol's shard goes to n2 when n2 joins; bob watches her from n1.
  auto carol = user_placed_on("n2", {"n1", "n2"}, "carol");
  auto bob = cl.connect(1, "bob");
  e2e_fixture::create(*bob, "group", {"bob", carol}, "friends");
  auto sub = bob->request(json::object{{"type", "presence"},
                                       {"user_ids", json::array{carol}},
                                       {"subscribe", true}});
  CHECK(status_of(sub, carol)["online"] == false);

  // Her shard moves: her actor on n1 stops, and bob's subscription goes
  // with her to n2.
  cl.add_node();
  cl.rebalance();
  REQUIRE(cl.owner_of(carol) == "n2");
  {
    auto c = cl.connect(1, carol);
    expect_online(*bob, carol);
  }
  auto off = bob->expect("presence");
  CHECK(status_of(off, carol)["online"] == false);

  // Her node dies and comes back: the subscription is made again there.
  cl.node(2).kill();
  cl.node(2).start();
  // carol connects once her node is back and reachable (before that her
  // connection would wait for its user registry, or be refused).
  cl.wait_live(1, 2);
  cl.wait_connected();
  auto c = cl.connect(1, carol);
  expect_online(*bob, carol);
}

TEST_CASE("a subscription across nodes ends when the users stop sharing",
          "[cluster][e2e][privacy]") {
  cluster_fixture cl(2);
  cl.wait_connected();
  cl.rebalance();
  // Watchers and watched homed on different nodes, and connected to a
  // node that is not their home: every hop crosses nodes.
  auto alice_id = user_homed_on(cl, "n1", "alice");
  auto bob_id = user_homed_on(cl, "n2", "bob");
  auto carol_id = user_homed_on(cl, "n2", "carol");
  auto dave_id = user_homed_on(cl, "n1", "dave");
  auto alice = cl.connect(2, alice_id);
  auto carol = cl.connect(1, carol_id);
  auto bob = cl.connect(1, bob_id);
  auto dave = cl.connect(2, dave_id);
  auto conv = e2e_fixture::create(*alice, "group", {bob_id, carol_id, dave_id});
  carol->expect("members");
  auto a =
      alice->request(json::object{{"type", "presence"},
                                  {"user_ids", json::array{bob_id.c_str()}},
                                  {"subscribe", true}});
  CHECK(status_of(a, bob_id)["online"] == true);
  auto c =
      carol->request(json::object{{"type", "presence"},
                                  {"user_ids", json::array{dave_id.c_str()}},
                                  {"subscribe", true}});
  CHECK(status_of(c, dave_id)["online"] == true);

  auto r = alice->request(
      json::object{{"type", "members"},
                   {"conv_id", conv},
                   {"remove", json::array{bob_id.c_str(), carol_id.c_str()}}});
  REQUIRE(r["type"] == "ok");
  e2e_fixture::expect_hidden(*alice, bob_id);
  e2e_fixture::expect_hidden(*carol, dave_id);

  bob.reset();
  dave.reset();
  bob = cl.connect(1, bob_id);
  dave = cl.connect(2, dave_id);
  for (auto* w : {alice.get(), carol.get()}) {
    w->send(json::object{{"type", "ping"}, {"rid", "after"}});
    CHECK(w->expect("pong")["rid"] == "after");
    CHECK_FALSE(w->has("presence"));
  }

  r = alice->request(json::object{{"type", "members"},
                                  {"conv_id", conv},
                                  {"add", json::array{bob_id.c_str()}}});
  REQUIRE(r["type"] == "ok");
  auto back = alice->expect("presence", 10s);
  CHECK(status_of(back, bob_id)["online"] == true);
}

TEST_CASE(
    "a subscription is checked again when its connection registers with "
    "its user's next actor: a change of sharing meanwhile reached no actor",
    "[cluster][e2e][privacy]") {
  cluster_fixture cl(3);
  cl.wait_connected();
  cl.rebalance();
  // alice's shard is on n3, her connection on n1; bob and carol elsewhere.
  auto alice_id = user_homed_on(cl, "n3", "alice");
  auto bob_id = user_homed_on(cl, "n1", "bob");
  auto carol_id = user_homed_on(cl, "n1", "carol");
  auto carol = cl.connect(1, carol_id);
  // The one conversation alice and bob share, on n2.
  auto conv = group_on(cl, *carol, "n2", {bob_id});
  auto r = carol->request(json::object{{"type", "members"},
                                       {"conv_id", conv},
                                       {"add", json::array{alice_id.c_str()}}});
  REQUIRE(r["type"] == "ok");
  auto bob = cl.connect(2, bob_id);
  auto alice = cl.connect(1, alice_id);
  auto a =
      alice->request(json::object{{"type", "presence"},
                                  {"user_ids", json::array{bob_id.c_str()}},
                                  {"subscribe", true}});
  CHECK(status_of(a, bob_id)["online"] == true);

  // alice's node dies; bob leaves while her shard has no owner, so the
  // word that her subscription must be checked reaches no actor of hers.
  cl.node(3).kill();
  // Once n2, the conversation's node, has seen the connection go.
  REQUIRE_FALSE(cl.node(2)
                    .wait_log({"\"peer_down\"", "\"node_id\":\"n3\""}, 10s)
                    .empty());
  r = carol->request(json::object{{"type", "members"},
                                  {"conv_id", conv},
                                  {"remove", json::array{bob_id.c_str()}}});
  REQUIRE(r["type"] == "ok");
  CHECK_FALSE(cl.node(2)
                  .wait_log({"\"presence_recheck_unrouted\"", conv}, 10s)
                  .empty());

  // Her node returns: her connection registers with her actor there and
  // checks its subscriptions again. Bob is a stranger to her now.
  cl.node(3).start();
  e2e_fixture::expect_status(
      *alice, bob_id,
      [](const json::object& o) {
        return o.at("online") == false && o.at("last_seen").is_null();
      },
      40s);
  bob.reset();
  bob = cl.connect(2, bob_id);
  alice->send(json::object{{"type", "ping"}, {"rid", "after"}});
  CHECK(alice->expect("pong")["rid"] == "after");
  CHECK_FALSE(alice->has("presence"));
}
