#pragma once

#include <atomic>

#include "net/http_types.hpp"

namespace switchboard::metrics {
struct node_metrics;
}

namespace switchboard::app {

enum class node_state { starting, ready, draining };

// The operational endpoints /healthz, /readyz and /metrics (no token).
// Returns false, answering nothing, for any other path.
bool handle_ops(const net::http_request& req, const net::http_reply& reply,
                const std::atomic<node_state>& state,
                const metrics::node_metrics& m);

}  // namespace switchboard::app
