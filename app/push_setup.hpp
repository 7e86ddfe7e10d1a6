#pragma once

#include <memory>

#include "metrics/log_sink.hpp"

namespace switchboard::storage {
class store;
}
namespace switchboard::metrics {
struct node_metrics;
}
namespace switchboard::push {
class service;
}

namespace switchboard::app {

struct config;

// The push service of a node from its options (docs/push.md): the
// providers' key files read, each provider that is off named in the log.
// `ok` false (and the reason logged) when the configuration cannot be
// used: the node must not start. Null when no provider is configured.
std::unique_ptr<push::service> make_push_service(const config& cfg,
                                                 storage::store& store,
                                                 metrics::log_sink sink,
                                                 metrics::node_metrics& m,
                                                 bool& ok);

}  // namespace switchboard::app
