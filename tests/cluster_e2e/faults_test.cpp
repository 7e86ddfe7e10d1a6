// Faults of a cluster that the other tests do not make (issue 13): a peer of
// another cluster, a shard left "moving" by a node that died mid-move, and
// a peer that asks a node's admin API for more than its share.

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <chrono>
#include <optional>

#include "cluster/cluster_keys.hpp"
#include "cluster/etcd_client.hpp"
#include "cluster/node_record.hpp"
#include "cluster/shard_record.hpp"
#include "tests/cluster_e2e/cluster_fixture.hpp"

using namespace switchboard::testing;
using namespace std::chrono_literals;
namespace json = boost::json;
namespace sbc = switchboard::cluster;

namespace {

// What a node logs to say why, waited for this long.
constexpr auto log_deadline = 20s;

sbc::etcd_client etcd_of(cluster_fixture& cl) {
  auto c = sbc::etcd_client::create(cl.etcd.url());
  REQUIRE(c);
  return std::move(*c);
}

// The record node `id` of `cluster` registered in etcd.
sbc::node_record node_record_of(sbc::etcd_client& etcd,
                                const std::string& cluster,
                                const std::string& id) {
  auto r = etcd.range(sbc::cluster_keys(cluster).node(id));
  REQUIRE(r);
  REQUIRE(r->kvs.size() == 1);
  auto n = sbc::decode_node(r->kvs[0].value);
  REQUIRE(n);
  return *n;
}

// Shard n's record in etcd, with its mod_revision.
sbc::shard_record shard_in_etcd(sbc::etcd_client& etcd, std::uint32_t n) {
  auto r = etcd.range(sbc::cluster_keys("switchboard").shard(n));
  REQUIRE(r);
  REQUIRE(r->kvs.size() == 1);
  auto s = sbc::decode_shard(r->kvs[0].value);
  REQUIRE(s);
  s->mod_revision = r->kvs[0].mod_revision;
  return *s;
}

// A CAF actor system of its own, as a peer node's would be (it offers
// `app_id` in the BASP handshake), that connects to a node's cluster port.
struct caf_peer {
  using admin_atom = caf::atom_constant<caf::atom("admin")>;

  caf::actor_system_config cfg{};
  std::optional<caf::actor_system> sys{};

  explicit caf_peer(const std::string& app_id) {
    cfg.load<caf::io::middleman>();
    cfg.set("logger.verbosity", caf::atom("quiet"));
    cfg.set("logger.console", caf::atom("none"));
    cfg.set("middleman.app-identifiers", std::vector<std::string>{app_id});
    sys.emplace(cfg);
  }

  // The actor published at host:port (the node's registry), or the error
  // of the connection, as actors/node.cpp connect_peer asks for it.
  caf::expected<caf::actor> connect(const std::string& host,
                                    std::uint16_t port) {
    caf::expected<caf::actor> out{caf::sec::request_timeout};
    caf::scoped_actor self{*sys};
    self->request(sys->middleman().actor_handle(), 5s, caf::connect_atom::value,
                  host, port)
        .receive(
            [&](const caf::node_id&, caf::strong_actor_ptr& p,
                const std::set<std::string>&) {
              if (p)
                out = caf::actor_cast<caf::actor>(std::move(p));
              else
                out = caf::sec::no_actor_published_at_port;
            },
            [&](caf::error& e) { out = std::move(e); });
    return out;
  }

  // What the registry answers to an admin request a peer forwards
  // (cluster_node::admin_at_owner): (status, body).
  std::pair<std::int32_t, std::string> admin(const caf::actor& registry,
                                             const std::string& method,
                                             const std::string& target) {
    std::pair<std::int32_t, std::string> out{-1, {}};
    caf::scoped_actor self{*sys};
    self->request(registry, 5s, admin_atom::value, method, target,
                  std::string())
        .receive(
            [&](std::int32_t status, std::string& body) {
              out = {status, std::move(body)};
            },
            [&](caf::error& e) { out.second = sys->render(e); });
    return out;
  }
};

std::pair<std::string, std::uint16_t> host_port(const std::string& addr) {
  auto colon = addr.rfind(':');
  REQUIRE(colon != std::string::npos);
  return {addr.substr(0, colon),
          static_cast<std::uint16_t>(std::stoi(addr.substr(colon + 1)))};
}

}  // namespace

TEST_CASE("a peer of another cluster name is refused, with a log line why",
          "[cluster][e2e][faults]") {
  cluster_fixture cl(1);  // cluster "switchboard"
  node_process other({"--etcd", cl.etcd.url(), "--cluster", "other",
                      "--node-id", "m1", "--cluster-listen", "127.0.0.1:0",
                      "--shards", "16", "--lease-ttl-s", "2"});
  auto etcd = etcd_of(cl);
  // The clusters never see each other; make n1 believe that m1, the node
  // of "other", is one of its peers: its record in n1's key space, as if
  // an operator had pointed a node of one cluster at the other's etcd
  // prefix.
  auto m1 = node_record_of(etcd, "other", "m1");
  REQUIRE(etcd.put(sbc::cluster_keys("switchboard").node("m1"),
                   sbc::encode_node(m1)));

  // n1 tries m1, and the BASP handshake refuses it: m1 offers
  // switchboard/12/other, n1 accepts only switchboard/12/switchboard.
  auto line = cl.node(1).wait_log(
      {"\"peer_refused\"", "\"node_id\":\"m1\"", m1.cluster_addr},
      log_deadline);
  INFO(cl.node(1).log());
  REQUIRE_FALSE(line.empty());
  auto o = json::parse(line).as_object();
  std::string error(o.at("error").as_string());
  INFO(error);
  // It says why, in words an operator can act on: another cluster name or
  // protocol version, and which identifiers differ.
  CHECK(o.at("level") == "error");
  CHECK(error.find("switchboard/12/switchboard") != std::string::npos);
  CHECK(error.find("another cluster or another cluster protocol version") !=
        std::string::npos);
  CHECK(error.find("incompatible_application_ids") != std::string::npos);
  // And nothing was connected on either side.
  CHECK(metric(cl.node(1).port(), "switchboard_cluster_peers_connected") == 0);
  CHECK(metric(other.port(), "switchboard_cluster_peers_connected") == 0);
  CHECK(cl.node(1).log().find("\"peer_connected\"") == std::string::npos);
  // n1 goes on serving its own shards.
  auto alice = cl.connect(1, "alice");
  auto conv = e2e_fixture::create(*alice, "group", {"alice", "bob"}, "t");
  CHECK(e2e_fixture::send(*alice, conv, "still here", "m1")["type"] == "sent");
}

TEST_CASE(
    "a node's handshake names its cluster and protocol version, so a peer of "
    "another version refuses it",
    "[cluster][e2e][faults]") {
  cluster_fixture cl(1);
  auto etcd = etcd_of(cl);
  auto [host, port] =
      host_port(node_record_of(etcd, "switchboard", "n1").cluster_addr);
  // CAF (0.17) checks app-identifiers on the connecting side, against what
  // the accepting node offers: a node of another version or cluster that
  // connects to n1 refuses it, and logs peer_refused as n1 does in the test
  // above. A node of protocol version 13 cannot be built here; a CAF peer
  // that accepts only what such a node would is.
  // The protocol version is part of the identifier (app/cluster_node.cpp
  // cluster_app_id): a node built with version 13 accepts only
  // switchboard/13/switchboard.
  {
    caf_peer newer("switchboard/13/switchboard");
    auto r = newer.connect(host, port);
    REQUIRE_FALSE(r);
    CHECK(r.error() == caf::sec::incompatible_application_ids);
  }
  {
    caf_peer stranger("switchboard/12/other");
    auto r = stranger.connect(host, port);
    REQUIRE_FALSE(r);
    CHECK(r.error() == caf::sec::incompatible_application_ids);
  }
  // The same identifier is accepted: the refusals were the identifier's.
  caf_peer same("switchboard/12/switchboard");
  auto r = same.connect(host, port);
  INFO((r ? std::string() : same.sys->render(r.error())));
  CHECK(r);
}

TEST_CASE("a shard left moving with no move running goes back to its owner",
          "[cluster][e2e][faults]") {
  cluster_fixture cl(2);
  REQUIRE(cl.rebalance() > 0);
  auto alice_id = user_homed_on(cl, "n1", "alice");
  auto bob_id = user_homed_on(cl, "n2", "bob");
  auto alice = cl.connect(2, alice_id);
  auto conv = group_on(cl, *alice, "n1", {alice_id, bob_id});
  REQUIRE(e2e_fixture::send(*alice, conv, "before", "m1")["type"] == "sent");

  // What a crash of n1 between begin_move and finish_move leaves in etcd:
  // the shard moving to n2, and no move running anywhere.
  auto shard = switchboard::storage::shard_of(conv, cluster_fixture::shards);
  auto etcd = etcd_of(cl);
  auto before = shard_in_etcd(etcd, shard);
  REQUIRE(before.owner == "n1");
  REQUIRE(before.state == sbc::shard_record::state_kind::owned);
  auto stuck = before;
  stuck.state = sbc::shard_record::state_kind::moving;
  stuck.target = "n2";
  auto key = sbc::cluster_keys("switchboard").shard(shard);
  auto written =
      etcd.txn({sbc::compare::mod_revision(key, sbc::compare::op::equal,
                                           before.mod_revision)},
               {sbc::txn_op::put(key, sbc::encode_shard(stuck))}, {});
  REQUIRE(written);
  REQUIRE(written->succeeded);
  auto stuck_revision = written->header.revision;

  // n1's sweep gives it back to itself: owned by n1, same epoch, written
  // after the stuck record (not the record as it was before it).
  auto line = cl.node(1).wait_log(
      {"\"stuck_move_undone\"", "\"shard\":\"" + std::to_string(shard) + "\""},
      log_deadline);
  INFO(cl.node(1).log());
  REQUIRE_FALSE(line.empty());
  auto o = json::parse(line).as_object();
  CHECK(o.at("target") == "n2");
  CHECK(o.at("error") == "");
  CHECK(o.at("level") == "warn");
  auto after = shard_in_etcd(etcd, shard);
  CHECK(after.owner == "n1");
  CHECK(after.state == sbc::shard_record::state_kind::owned);
  CHECK(after.target.empty());
  CHECK(after.epoch == before.epoch);
  CHECK(after.mod_revision > stuck_revision);

  // Both nodes see it owned, and its conversation takes messages again
  // through either node (n2 asks n1 for it).
  auto deadline = std::chrono::steady_clock::now() + 20s;
  for (int via : {1, 2})
    for (;;) {
      auto shards = cl.admin_json(via, "shards");
      auto& s = shards["shards"].as_array().at(shard).as_object();
      if (s.at("state") == "owned" && s.at("owner") == "n1") break;
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      std::this_thread::yield();
    }
  auto bob = cl.connect(1, bob_id);
  for (auto* c : {alice.get(), bob.get()}) {
    std::string cmid = c == alice.get() ? "after-a" : "after-b";
    for (;;) {
      auto r = e2e_fixture::send(*c, conv, "after", cmid);
      INFO(json::serialize(r));
      if (r["type"] == "sent") break;
      // Routes follow etcd's watch: a moment of `unavailable` at most.
      REQUIRE(r["type"] == "error");
      REQUIRE(r["code"] == "unavailable");
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      std::this_thread::yield();
    }
  }
}

TEST_CASE(
    "a peer may ask a node's admin API only for its share of the cluster-wide "
    "views",
    "[cluster][e2e][faults]") {
  cluster_fixture cl(1);
  auto etcd = etcd_of(cl);
  auto [host, port] =
      host_port(node_record_of(etcd, "switchboard", "n1").cluster_addr);
  // The cluster port has no authentication: anyone with the cluster's
  // identifier is a peer, and talks to the registry as one.
  caf_peer peer("switchboard/12/switchboard");
  auto registry = peer.connect(host, port);
  REQUIRE(registry);
  auto alice = cl.connect(1, "alice");

  auto allowed = [&](const std::string& method, const std::string& target) {
    auto [status, body] = peer.admin(*registry, method, target);
    INFO(method << " " << target << ": " << status << " " << body);
    CHECK(status != 403);
    CHECK(status >= 200);
    CHECK(status < 500);
    return std::make_pair(status, body);
  };
  auto refused = [&](const std::string& method, const std::string& target) {
    auto [status, body] = peer.admin(*registry, method, target);
    INFO(method << " " << target << ": " << status << " " << body);
    CHECK(status == 403);
    CHECK(body.find("\"forbidden\"") != std::string::npos);
  };

  // The node's parts of status, users, user, conv, tail: answered.
  auto status = allowed("GET", "/admin/v1/status?scope=node");
  CHECK(status.first == 200);
  CHECK(json::parse(status.second).as_object().at("node_id") == "n1");
  auto users = allowed("GET", "/admin/v1/users?scope=node");
  CHECK(users.first == 200);
  CHECK(users.second.find("\"alice\"") != std::string::npos);
  allowed("GET", "/admin/v1/users/alice?scope=node");
  auto conv = e2e_fixture::create(*alice, "group", {"alice", "bob"}, "t");
  CHECK(
      allowed("GET", "/admin/v1/conversations/" + conv + "?scope=node").first ==
      200);
  CHECK(
      allowed("GET", "/admin/v1/conversations/" + conv + "/messages?scope=node")
          .first == 200);

  // A kick of this node's connections of a user, as `kick` asks of every
  // node: done.
  {
    auto bob = cl.connect(1, "bob");
    auto kick = allowed("POST", "/admin/v1/users/bob/kick?scope=node");
    CHECK(kick.first == 200);
    CHECK(json::parse(kick.second).as_object().at("closed") == 1);
  }

  // The same without scope=node: a peer never has a node ask the others.
  refused("GET", "/admin/v1/status");
  refused("GET", "/admin/v1/users");
  // The rest of the admin API, scope or not.
  for (auto scope : {"", "?scope=node"}) {
    std::string q = scope;
    refused("POST", "/admin/v1/cluster/rebalance" + q);
    refused("GET", "/admin/v1/cluster/nodes" + q);
    refused("GET", "/admin/v1/metrics" + q);
    refused("POST", "/admin/v1/tokens" + q);
    refused("POST", "/admin/v1/drain" + q);
    refused("PUT", "/admin/v1/log" + q);
    refused("POST", "/admin/v1/checkpoint" + q);
    refused("POST", "/admin/v1/compact" + q);
    refused("GET", "/admin/v1/conversations" + q);
    refused("POST", "/admin/v1/conversations/" + conv + "/members" + q);
    refused("DELETE", "/admin/v1/users/alice" + q);
    refused("DELETE", "/admin/v1/conversations/" + conv + q);
    refused("PUT", "/admin/v1/status" + q);
    refused("GET", "/admin/v1/users/alice/kick" + q);
    refused("GET", "/admin/v2/status" + q);
    refused("GET", "/metrics" + q);
  }
  // Not a way around it: a path that would be another once resolved.
  refused("POST", "/admin/v1/users/alice/../../drain?scope=node");
  refused("GET", "/admin/v1/status/../metrics?scope=node");
  // The peer got nothing done: alice is still connected.
  CHECK(alice->request({{"type", "ping"}})["type"] == "pong");
}
