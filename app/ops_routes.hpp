#pragma once

#include <atomic>

#include "net/http_types.hpp"

namespace switchboard::metrics {
struct node_metrics;
}
namespace switchboard::storage {
class store;
}

namespace switchboard::app {

class cluster_node;

enum class node_state { starting, ready, draining };

// The operational endpoints /healthz, /readyz and /metrics (no token).
// /readyz is 503 while starting, draining, while `store` cannot write
// (a failed write, until it has recovered), or while the node of a
// `cluster` (nullptr: standalone) may not take writes (its etcd lease is
// not known to be alive). Returns false, answering nothing, for any other
// path.
bool handle_ops(const net::http_request& req, const net::http_reply& reply,
                const std::atomic<node_state>& state,
                const metrics::node_metrics& m, const storage::store& store,
                const cluster_node* cluster);

}  // namespace switchboard::app
