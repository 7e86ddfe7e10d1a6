#pragma once

#include "bench/harness/options.hpp"
#include "bench/harness/results.hpp"

namespace switchboard::bench {

// `connect`: a connection storm; options.connections handshakes in flight at
// all times for the duration, each one closed once its welcome arrives.
results run_connect(const options& o);

// `idle`: options.connections idle authenticated connections held open for
// the duration (with heartbeats), and the node's RSS per connection (read
// from /proc/PID/status of options.node_pids, summed).
results run_idle(const options& o);

}  // namespace switchboard::bench
