#pragma once

#include <atomic>
#include <caf/fwd.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "actors/budget_slices.hpp"
#include "actors/limits.hpp"
#include "common/clock.hpp"
#include "metrics/log_sink.hpp"

namespace switchboard::storage {
class store;
}
namespace switchboard::metrics {
struct node_metrics;
}

namespace switchboard::actors {

class directory;
}  // namespace switchboard::actors
namespace switchboard::push {
class service;
}
namespace switchboard::auth {
class hs256_key;
}
namespace switchboard::actors {

class denial_pacer;
class io_pool;
class request_budgets;
class shard_positions;

// What every actor of a node shares. Owned by `node`; every pointer lives
// as long as the node's actor system.
struct node_context {
  std::string node_id;
  limits lim;
  storage::store* store = nullptr;
  io_pool* pool = nullptr;
  directory* dir = nullptr;
  request_budgets* budgets = nullptr;  // the buckets of this node's users
  denial_pacer* denials = nullptr;     // forbidden answers past the budget
  // In a cluster: slices of other nodes' users' buckets, and how to ask
  // for one (budget_check.hpp); null and empty on a standalone node.
  budget_slices* slices = nullptr;
  std::function<void(budget_slices::borrow)> borrow;
  metrics::node_metrics* metrics = nullptr;
  // Push notifications (push/service.hpp); null when no provider is
  // configured.
  push::service* push = nullptr;
  // In a cluster: this node's place in each shard's replicated log; null on
  // a standalone node.
  shard_positions* positions = nullptr;
  // Removes `node` from `shard`'s in-sync replicas by a txn in etcd
  // (app/cluster_node); `done` gets "" or why not, on any thread. Empty on
  // a standalone node.
  std::function<void(std::uint32_t shard, std::string node,
                     std::function<void(std::string)> done)>
      shrink_isr;
  // A peer of a smaller node id that connected gives its registry
  // (registry's hello_atom; app/cluster_node). Empty on a standalone node.
  std::function<void(const std::string& node, std::int64_t incarnation,
                     const caf::actor& registry)>
      peer_hello;
  // Whether this node's lease is valid now (cluster::coordinator::
  // lease_valid); null on a standalone node. Set while the node runs:
  // read and written with std::atomic_load / std::atomic_store only
  // (lease_ok()). Any thread.
  std::shared_ptr<const std::function<bool()>> lease_check;
  // False when a lease check is set and says the lease is not valid.
  bool lease_ok() const {
    auto f = std::atomic_load(&lease_check);
    return !f || (*f)();
  }
  const auth::hs256_key* direct_ids = nullptr;  // direct_conversation_id
  metrics::log_sink log;  // the node's log (app/log.hpp); may be empty
  // Moves this node's `shard` to the node `target` (app/cluster_node: the
  // registry's move_atom); `done` gets "" or why not, on any thread. Empty
  // on a standalone node.
  std::function<void(std::uint32_t shard, std::string target,
                     std::function<void(std::string)> done)>
      move_shard;
  // Moves a copy of this node's `shard` (it leads it) to the node `add`
  // from the node `remove` (either may be empty: a copy added, or one
  // removed), the new copy in sync before the old one goes
  // (app/cluster_node: the registry's move_atom with both); `done` gets ""
  // or why not, on any thread. Empty on a standalone node.
  std::function<void(std::uint32_t shard, std::string add, std::string remove,
                     std::function<void(std::string)> done)>
      move_copy;
  // Answers an admin API request (method, target, body) as this node's own
  // admin API would, for a peer that forwarded it (the registry's
  // admin_atom); `done(status, body)` on any thread. Empty without one.
  std::function<void(std::string method, std::string target, std::string body,
                     std::function<void(int, std::string)> done)>
      admin_local;
  // Client requests started and not yet answered (for draining).
  std::atomic<std::int64_t> requests_in_flight{0};
};

// Whether an actor last active at `last_activity_ms` has been idle for
// limits::idle_actor (and may passivate, if nothing else holds it).
inline bool idle_long_enough(const node_context& ctx,
                             std::int64_t last_activity_ms);

// Server time: milliseconds since the Unix epoch.
inline std::int64_t now_ms() { return common::unix_ms(); }

inline bool idle_long_enough(const node_context& ctx,
                             std::int64_t last_activity_ms) {
  return now_ms() - last_activity_ms >=
         static_cast<std::int64_t>(ctx.lim.idle_actor.count());
}

}  // namespace switchboard::actors
