#pragma once

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench/harness/cluster_spawn.hpp"
#include "storage/shard.hpp"
#include "tests/e2e/e2e_fixture.hpp"
#include "tests/support/etcd_process.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/ws_client.hpp"

namespace switchboard::testing {

// A cluster on loopback: a real etcd and `n` real nodes (n1, n2, ...),
// started one after the other. The first creates the cluster and so owns
// every shard; rebalance() spreads them by rendezvous placement, as an
// operator would.
struct cluster_fixture {
  static constexpr std::uint32_t shards = 16;

  etcd_process etcd;
  std::vector<std::unique_ptr<node_process>> nodes;

  explicit cluster_fixture(int n = 3, std::vector<std::string> extra = {}) {
    for (int i = 1; i <= n; ++i) add_node(extra);
  }

  std::vector<std::string> args(int i, const std::vector<std::string>& extra,
                                const std::string& etcd_url = {}) const {
    std::vector<std::string> a = {
        "--etcd",           etcd_url.empty() ? etcd.url() : etcd_url,
        "--node-id",        "n" + std::to_string(i),
        "--cluster-listen", "127.0.0.1:0",
        "--shards",         std::to_string(shards),
        "--lease-ttl-s",    "2"};
    // One copy of each shard unless a test asks for more: the tests of the
    // cluster without replication see a dead node's shards unavailable.
    if (std::find(extra.begin(), extra.end(), "--replicas") == extra.end()) {
      a.push_back("--replicas");
      a.push_back("1");
    }
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }

  // `etcd_url`: where this node finds etcd (a tcp_proxy, to cut it off).
  node_process& add_node(const std::vector<std::string>& extra = {},
                         const std::string& etcd_url = {}) {
    auto i = static_cast<int>(nodes.size()) + 1;
    nodes.push_back(std::make_unique<node_process>(args(i, extra, etcd_url)));
    return *nodes.back();
  }

  node_process& node(int i) {
    return *nodes.at(static_cast<std::size_t>(i - 1));
  }

  std::unique_ptr<ws_client> connect(int i, const std::string& user) {
    return std::make_unique<ws_client>(node(i).port(), node(i).token(user));
  }

  std::string admin_token(int i) {
    std::ifstream in(node(i).data_dir() + "/admin_token");
    std::string t;
    std::getline(in, t);
    return t;
  }

  command_result admin(int i, const std::string& command, bool as_json = true) {
    std::vector<std::string> a = {
        "admin", "--node", "127.0.0.1:" + std::to_string(node(i).admin_port()),
        "--token", admin_token(i)};
    if (as_json) a.push_back("--json");
    a.push_back("-c");
    a.push_back(command);
    return run_switchboard(a);
  }

  boost::json::object admin_json(int i, const std::string& command) {
    auto r = admin(i, command);
    INFO(command << ": " << r.output);
    REQUIRE(r.status == 0);
    return boost::json::parse(r.output).as_object();
  }

  // Waits until node i sees `want` live nodes (its own view of etcd).
  void wait_live(int i, std::size_t want) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    for (;;) {
      auto o = admin_json(i, "nodes");
      std::size_t live = 0;
      for (auto& n : o["nodes"].as_array())
        if (n.as_object().at("live").as_bool()) ++live;
      if (live == want) return;
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      std::this_thread::yield();
    }
  }

  // Waits until every node reaches every other one over the cluster port
  // (switchboard_cluster_peers_connected), as an operator would check.
  void wait_connected() {
    auto want = static_cast<double>(nodes.size() - 1);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    for (auto& n : nodes)
      while (metric(n->port(), "switchboard_cluster_peers_connected") != want) {
        REQUIRE(std::chrono::steady_clock::now() < deadline);
        std::this_thread::yield();
      }
  }

  // Spreads the shards over the live nodes; returns how many moved.
  std::size_t rebalance(int via = 1) {
    wait_live(via, nodes.size());
    wait_connected();
    auto o = admin_json(via, "rebalance");
    INFO(boost::json::serialize(o));
    REQUIRE(o["failed"].as_int64() == 0);
    wait_connected();
    wait_same_map(via);
    return static_cast<std::size_t>(o["moved"].as_int64());
  }

  // Waits until every node sees the shard map node `via` sees (each
  // shard's owner, epoch and state), as an operator checks `shards` on
  // each: until then a node that has not heard of a move's end answers the
  // shard `unavailable`, as it should.
  void wait_same_map(int via) {
    auto view = [this](int i) {
      auto r = admin(i, "shards");
      REQUIRE(r.status == 0);
      return bench::shard_map_view(r.output);
    };
    auto want = view(via);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    for (int i = 1; i <= static_cast<int>(nodes.size()); ++i)
      while (view(i) != want) {
        REQUIRE(std::chrono::steady_clock::now() < deadline);
        std::this_thread::yield();
      }
  }

  // The node that owns the shard of `id`, as node i sees it.
  std::string owner_of(const std::string& id, int via = 1) {
    auto o = admin_json(via, "where " + id);
    return std::string(o["owner"].as_string());
  }
};

// A user id whose shard (of cluster_fixture::shards) is owned by `node` in
// a rebalanced cluster of `nodes` nodes: found by trying names, so the
// test does not depend on a list of hashes.
std::string user_homed_on(cluster_fixture& c, const std::string& node,
                          const std::string& stem);

// A user id whose shard rendezvous placement puts on `node` among `nodes`
// (a cluster that will have those nodes): stem0, stem1, ... until one does.
std::string user_placed_on(const std::string& node,
                           const std::vector<std::string>& nodes,
                           const std::string& stem);

// The status of `id` in a `presence` frame.
boost::json::object status_of(const boost::json::object& presence,
                              const std::string& id);

// A group of `members` created through `c` whose conversation lands on
// `node`: group ids are random, so groups are created until one does (a
// third of them, with three nodes).
std::string group_on(cluster_fixture& cl, ws_client& c, const std::string& node,
                     std::vector<std::string> members);

// A conversation's whole history through `c`: (client_msg_id, msg_id) of
// every message, oldest first.
std::vector<std::pair<std::string, std::uint64_t>> history_of(
    ws_client& c, const std::string& conv);

}  // namespace switchboard::testing
