#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "metrics/log_sink.hpp"
#include "net/http_types.hpp"

namespace switchboard::actors {
class node;
}
namespace switchboard::metrics {
struct node_metrics;
}

namespace switchboard::app {

struct config;

// The identifier a node's CAF network layer offers in the BASP handshake:
// a peer that offers another (another cluster, another version of the
// cluster protocol) is refused by CAF before any message is exchanged.
std::string cluster_app_id(const std::string& cluster);

// A node's part in a cluster (docs/ARCHITECTURE.md "cluster/"): it registers
// the node in etcd (cluster::coordinator), keeps a connection to the registry
// actor of every live peer (CAF's middleman), and turns the shard map, the
// peers' liveness and those connections into the routes of the node's
// directory, so that every request finds the owner of its shard, or answers
// `unavailable` at once when there is none. Without --etcd there is no
// cluster_node: the node is standalone and every shard is its own.
class cluster_node {
 public:
  // Blocking: connects to etcd and registers. Throws std::runtime_error
  // with a message for the operator (etcd unreachable, the node id live
  // already, a shard count that differs from the cluster's); the node then
  // exits non-zero. `client_addr` and `admin_addr` are announced to peers
  // and operators.
  // `learn_revocations` gets the revocations a live peer keeps, once, at
  // the join: a node that joins knows the earlier `admin revoke`s.
  using revocations = std::vector<std::pair<std::string, std::int64_t>>;
  static std::unique_ptr<cluster_node> start(
      const config& cfg, actors::node& node, std::string client_addr,
      std::string admin_addr, metrics::node_metrics& m, metrics::log_sink log,
      std::function<void(const revocations&)> learn_revocations);
  // Before start: every request of `node` answers `unavailable` (the node
  // listens before it knows the shard map, and must not serve as if it
  // were alone).
  static void hold(actors::node& node);

  // Leaves the cluster: revokes the lease, so peers see the node gone at
  // once, not after its TTL.
  ~cluster_node();
  cluster_node(const cluster_node&) = delete;
  cluster_node& operator=(const cluster_node&) = delete;

  // Whether the node may take writes for its shards: its lease is known to
  // be alive (`/readyz`).
  bool ready() const;

  // What the admin shell shows of the cluster (docs/cluster.md), each a
  // JSON object as text. They block (they may ask peers or etcd): call
  // them off CAF's and Asio's threads.
  std::string nodes_json();
  std::string shards_json();
  std::string where_json(const std::string& id);
  // Moves every shard whose rendezvous owner among the live nodes is not
  // its owner, one at a time; with `dry_run` only lists them.
  std::string rebalance_json(bool dry_run);
  // Hands the leadership of `shard` to `node`, which must hold a copy in
  // sync (admin `transfer`): 200 with the shard's record, 400 when the
  // record does not allow it, 503 when the owner could not do it.
  net::http_response transfer_json(std::uint32_t shard,
                                   const std::string& node);
  // An admin API request answered by the owner of `id`'s shard (this node
  // too), or by every live node (admin/cluster_forward).
  net::http_response admin_at_owner(const std::string& id,
                                    const net::http_request& req);
  std::vector<net::http_response> admin_at_every_node(
      const net::http_request& req);

  struct impl;

 private:
  explicit cluster_node(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace switchboard::app
