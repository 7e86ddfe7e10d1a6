#pragma once

#include "bench/harness/etcd_spawn.hpp"

namespace switchboard::testing {

// A real etcd of one member for a test, on free loopback ports: the one the
// bench starts (bench/harness/etcd_spawn.hpp). A failed start throws, which
// fails the test with etcd's reason and log.
using etcd_process = bench::spawned_etcd;
using bench::free_loopback_port;

}  // namespace switchboard::testing
