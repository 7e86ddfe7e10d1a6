#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/batch.hpp"
#include "storage/result.hpp"

namespace switchboard::storage {

// Called once per submitted batch with the outcome of its write.
using completion = std::function<void(const status&)>;

// Where a shard's replicated log stands in a store (docs/cluster.md
// "Replicas, in-sync copies and failover"): the epoch of the leader that wrote
// its last group, and that group's sequence number. Sequence numbers grow by
// one per group write to the shard, across epochs, so that two stores at the
// same position hold the same shard. Kept in column_family::shard_log, written
// in the same RocksDB write as the group itself.
struct shard_position {
  std::int64_t epoch = 0;
  std::uint64_t seq = 0;
  bool operator==(const shard_position& o) const {
    return epoch == o.epoch && seq == o.seq;
  }
  bool operator!=(const shard_position& o) const { return !(*this == o); }
};

// 16 bytes: epoch and seq, big-endian.
std::string encode_position(const shard_position& p);
// nullopt unless `v` is 16 bytes.
std::optional<shard_position> decode_position(std::string_view v);
// The shard_log key of `shard`.
std::string position_key(std::uint16_t shard);

// A group's step in a shard's log: the position before it and its own.
// A follower takes `at` only when it holds `prev` exactly (the log
// matching of PacificA and Kafka): same epoch, same sequence.
struct shard_step {
  shard_position prev{};
  shard_position at{};
};

// One group's writes to one shard this node leads, at their position: what
// the shard's followers apply, in order.
struct shard_append {
  std::uint16_t shard = 0;
  shard_position prev{};
  shard_position at{};
  std::vector<batch::op> ops;  // shards assigned; the position's put last
};

// What replicates a store's writes (actors/replicator, in a cluster with
// replicas). The store's writer calls it; without one every write is
// local and completes once durable here.
class replication_sink {
 public:
  virtual ~replication_sink() = default;
  // On the writer thread, before a group's write, once per shard the group
  // writes to: the position the group's writes to `shard` take, when this
  // node leads the shard now; nullopt when it does not (a follower's own
  // apply, a shard moving in or erased): those writes are local only.
  virtual std::optional<shard_step> next_position(std::uint16_t shard) = 0;
  // On the writer thread after the group's RocksDB write failed: the
  // positions next_position gave it were not written. (A group whose write
  // succeeded and whose WAL sync failed keeps them: its data and positions
  // may survive the recovery.)
  virtual void not_written(const std::vector<shard_append>& appends) = 0;
  // On the writer thread once the group is durable here: completes each
  // of `done` with ok once the appends are on the followers that must
  // have them, or with an error. Called for every group, also one without
  // appends, so that completions keep their order.
  virtual void written(std::vector<shard_append> appends,
                       std::vector<completion> done) = 0;
};

}  // namespace switchboard::storage
