#pragma once

// What a node holds (node.cpp; node_users.cpp reads it too). Internal to
// actors/: it pulls in CAF's actor system.

#include <caf/all.hpp>
#include <cstdint>
#include <memory>

#include "actors/budget_slices.hpp"
#include "actors/denial_pacer.hpp"
#include "actors/directory.hpp"
#include "actors/io_pool.hpp"
#include "actors/node.hpp"
#include "actors/node_context.hpp"
#include "actors/replicator.hpp"
#include "actors/request_budgets.hpp"
#include "actors/shard_positions.hpp"
#include "auth/jwt.hpp"
#include "metrics/metrics.hpp"

namespace switchboard::actors {

struct node::impl {
  storage::store& store;
  caf::actor_system_config cfg;
  caf::actor_system sys;
  std::unique_ptr<io_pool> pool;
  request_budgets budgets;
  budget_slices slices;
  denial_pacer denials;
  node_context ctx;
  directory dir;
  metrics::node_metrics own_metrics;  // when the caller keeps none
  auth::hs256_key direct_ids;
  caf::actor registry;
  std::uint16_t cluster_port = 0;
  // In a cluster: shard replication (docs/ARCHITECTURE.md "cluster/"), the
  // store's sink.
  std::unique_ptr<shard_positions> positions;
  std::unique_ptr<replicator> repl;

  impl(storage::store& s, const node_options& o);
};

}  // namespace switchboard::actors
