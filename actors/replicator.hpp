#pragma once

#include <atomic>
#include <caf/fwd.hpp>
#include <memory>

#include "actors/node_context.hpp"
#include "storage/replication_sink.hpp"

namespace switchboard::actors {

class directory;
class shard_positions;

// The leader's side of shard replication (DESIGN §5 "Replication"), as the
// store's replication_sink. Each group the store wrote goes, per follower,
// as one CAF message with the group's appends of the shards it follows
// (replicate_atom to its registry); the group's batches complete, in
// group order, once every in-sync replica of each of its shards has
// persisted them and the shard has at least its min-insync replicas. A
// follower that refuses or does not answer within limits::replica_lag is
// removed from the shard's ISR by a txn (node_context::shrink_isr) before
// anything is acknowledged without it; when that txn fails, or the shard
// changed leader, or too few replicas are in sync, the group fails with
// errc::unavailable (its writes stay here, unacknowledged, as a produce
// that got NotEnoughReplicasAfterAppend does in Kafka).
class replicator final : public storage::replication_sink {
 public:
  replicator(caf::actor_system& sys, node_context& ctx);
  ~replicator() override;
  replicator(const replicator&) = delete;
  replicator& operator=(const replicator&) = delete;

  std::optional<storage::shard_step> next_position(
      std::uint16_t shard) override;
  void not_written(const std::vector<storage::shard_append>& appends) override;
  void written(std::vector<storage::shard_append> appends,
               std::vector<storage::completion> done) override;

  // The node goes: no shard takes writes through it any more (they are
  // refused unwritten), and what waits for followers fails (closed).
  void close();

  struct core;  // replicator.cpp

 private:
  node_context& ctx_;
  std::atomic<bool> closing_{false};
  std::shared_ptr<core> core_;
};

}  // namespace switchboard::actors
