#pragma once

#include <cstdint>
#include <string>

// The plain types of the store's interface that its writer defines
// (group_commit.hpp): its durability, its counts and its health. Apart, so
// that store.hpp does not show the writer's threads and locks to every
// layer above.
namespace switchboard::storage {

// How a commit reaches the disk before it is acknowledged (docs/ARCHITECTURE.md
// "storage/").
enum class durability {
  sync,   // WAL fsynced: survives a power loss
  async,  // WAL written, not fsynced: survives a process crash only
};

struct commit_stats {
  std::uint64_t groups = 0;     // RocksDB writes issued
  std::uint64_t syncs = 0;      // WAL fsyncs (durability::sync)
  std::uint64_t batches = 0;    // batches submitted and written
  std::uint64_t max_group = 0;  // most batches in one write
  std::uint64_t write_ns = 0;   // time spent in RocksDB writes, in total
};

// Whether the store takes writes, and if not, why.
struct store_health {
  bool writable = true;
  std::string reason;  // why not writable (empty while writable)
  // Times the store has stopped being writable since it was opened: a
  // failure carries the generation it started.
  std::uint64_t generation = 0;
  std::uint64_t write_failures = 0;  // group writes or WAL syncs that failed
  // RocksDB cannot recover in this process (a fatal error, or a failed WAL
  // write it could not retire): only a restart of the node recovers.
  bool restart_needed = false;
};

}  // namespace switchboard::storage
