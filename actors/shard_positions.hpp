#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "storage/replication_sink.hpp"

namespace switchboard::actors {

// Where this node's copy of each shard's replicated log stands, and which
// shards it leads at which epoch (docs/cluster.md "Replicas, in-sync copies and
// failover"). The leader side hands out the next position of a group (the
// store's writer), the follower side checks what its leader sends. Loaded from
// the store at start (storage::store::positions), then kept here: every write
// of a position goes through this table first. Thread-safe.
class shard_positions {
 public:
  explicit shard_positions(std::uint32_t shards);

  void load(
      const std::vector<std::pair<std::uint16_t, storage::shard_position>>&
          stored);

  // This node's position of `shard` ({0, 0}: none yet).
  storage::shard_position at(std::uint32_t shard) const;
  // Sets it after a copy of the shard arrived (catch-up).
  void reset(std::uint32_t shard, storage::shard_position p);
  // Sets it for a write of the shard not yet durable (a reconciliation's
  // patch): pending until settled(), as a write accept() took.
  void reset_pending(std::uint32_t shard, storage::shard_position p);

  // This node leads `shard` at `epoch` from now on (0: it does not).
  void lead(std::uint32_t shard, std::int64_t epoch);
  std::int64_t leading(std::uint32_t shard) const;

  // Leader: the step of the next group's writes to `shard`, taken
  // (nullopt when this node does not lead it, or its copy diverged).
  std::optional<storage::shard_step> next(std::uint32_t shard);
  // Leader: gives back a step next() gave to a write that never reached
  // the store (its RocksDB write failed).
  void give_back(std::uint32_t shard, const storage::shard_step& s);

  // Follower: whether `s.at` may be the next position of `shard`: the
  // position held is `s.prev` exactly, `s.at` is at an epoch at least
  // `map_epoch` and at least the highest seen, and this node does not lead
  // the shard. "" or why not; `*mismatch` (when given) is set when the
  // position held is not `s.prev`.
  std::string check(std::uint32_t shard, const storage::shard_step& s,
                    std::int64_t map_epoch, bool* mismatch = nullptr) const;
  // check(), and takes `s.at` when it passes: a write of the shard is then
  // pending until settled().
  std::string accept(std::uint32_t shard, const storage::shard_step& s,
                     std::int64_t map_epoch);
  // A write accept() took is durable or failed (after diverge()).
  void settled(std::uint32_t shard);
  // at(), once no taken write of the shard is pending; nullopt while one
  // is (a leader must not compare with a position not yet durable).
  std::optional<storage::shard_position> settled_at(std::uint32_t shard) const;
  // This copy of `shard` is not what its position says (a write of it
  // failed, a copy did not arrive whole): it refuses every append, and
  // compares unequal to any leader's position, until a copy resets it.
  void diverge(std::uint32_t shard);

 private:
  struct slot {
    storage::shard_position at{};
    std::int64_t leading = 0;
    std::int64_t highest_epoch = 0;  // the highest epoch seen
    std::uint32_t pending = 0;       // taken writes not yet durable
  };
  mutable std::mutex mtx_;
  std::vector<slot> slots_;
};

}  // namespace switchboard::actors
