#pragma once

#include <atomic>
#include <caf/fwd.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "actors/node_context.hpp"
#include "storage/replication_sink.hpp"

namespace switchboard::actors {

class directory;
class shard_positions;

// The leader's side of shard replication (docs/cluster.md "Replicas, in-sync
// copies and failover"), as the store's replication_sink. Each group the store
// wrote goes, per follower, as one CAF message with the group's appends of the
// shards it follows (replicate_atom to its registry); the group's batches
// complete, in group order, once every in-sync replica of each of its shards
// has persisted them and the shard has at least its min-insync replicas. A
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

  // --- a replica's catch-up while the shard takes writes (docs/ARCHITECTURE.md
  // "cluster/") --- replicator_learners.cpp. Each blocks its caller (never a
  // CAF or Asio thread) for at most `timeout`, and returns "" or why not.

  // From now on every group's writes to `shard` also go to `node` (its
  // registry `reg`), a replica out of sync that no write waits for: held
  // here while its copy of the shard is made. A group the writer hands
  // over after the next barrier write (store::commit_and_wait of an empty
  // batch) is sure to be held; take the copy's snapshot after that.
  std::string add_learner(std::uint32_t shard, const std::string& node,
                          const caf::actor& reg,
                          std::chrono::milliseconds timeout);
  // The copy arrived at `node` whole, at position `copied`: the writes held
  // since are sent (those the copy holds dropped; the first one left must
  // follow `copied`), then each group's as it comes. Returns once `node`
  // persisted what was held.
  std::string learner_copied(std::uint32_t shard, const std::string& node,
                             storage::shard_position copied,
                             std::chrono::milliseconds timeout);
  // Stops sending to `node` once what was sent is answered: "" when it
  // took all of it, else why not (its copy must then be made again).
  std::string drop_learner(std::uint32_t shard, const std::string& node,
                           std::chrono::milliseconds timeout);

  struct core;  // replicator.cpp

 private:
  node_context& ctx_;
  std::atomic<bool> closing_{false};
  std::shared_ptr<core> core_;
};

}  // namespace switchboard::actors
