#pragma once

#include <caf/actor.hpp>
#include <cstddef>
#include <cstdint>
#include <string>

#include "storage/store.hpp"

namespace switchboard::actors {
class node;
}

namespace switchboard::app {

// What a reconciliation did to the other copy.
struct patched {
  storage::shard_position at{};  // where the copy is now: this node's
  std::uint64_t common = 0;      // the last seq both logs held alike
  std::uint64_t truncated = 0;   // the copy's groups after it, undone
  std::uint64_t appended = 0;    // this node's groups after it, written
  std::size_t keys = 0;          // data keys written or erased there
};

// Brings the copy of `shard` at the registry `target` to this node's copy
// as of `at` (a snapshot; null: the store as it is, for a shard held
// quiet) by reconciliation, as Kafka's leader epochs do (docs/cluster.md
// "Replicas, in-sync copies and failover"): the two journals
// (storage/shard_journal.hpp) show the last seq at which both logs hold the
// same group; the copy's groups after it are undone and this node's written, as
// the current values of exactly the keys either side wrote since, in one write
// at the target. Never a guess: "" once done (`out` says what it did), else why
// the journals cannot tell (the copy is too far behind, has no journal, or
// diverged), and the caller copies the shard whole. Blocks the calling thread.
std::string reconcile_copy(actors::node& node, const caf::actor& target,
                           std::uint32_t shard, std::int64_t epoch,
                           const storage::store::snapshot* at, patched& out);

}  // namespace switchboard::app
