#pragma once

#include <cstddef>

namespace switchboard::app {

// How the process's file descriptors are shared out (RLIMIT_NOFILE).
struct descriptor_budget {
  std::size_t limit = 0;        // the soft limit, raised to the hard one
  std::size_t reserved = 0;     // kept for the store and the process
  std::size_t connections = 0;  // what client connections may take
};

// Raises the soft RLIMIT_NOFILE to the hard limit where it can, keeps
// `store_files` (RocksDB's max_open_files) plus a margin for the WAL, the
// logs, the admin port and the threads' descriptors, and gives the rest
// to client connections: running out of descriptors must starve new
// connections, never the store.
descriptor_budget budget_descriptors(std::size_t store_files);

}  // namespace switchboard::app
