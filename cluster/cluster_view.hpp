#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cluster/cluster_keys.hpp"
#include "cluster/coordinator_log.hpp"
#include "cluster/etcd_types.hpp"
#include "cluster/node_record.hpp"
#include "cluster/shard_record.hpp"

namespace switchboard::cluster {

// A coordinator's copy of its cluster's live nodes and shard map, as a load
// (a range over the cluster's keys at one revision), the watch and the
// node's own txns tell it. Every key's copy keeps the revision it was last
// changed at (also of a deletion), and a change at or below it is ignored,
// so the watch and the node's own writes may report the same change in
// either order. A value that cannot be decoded is logged and the key
// counted as absent. Thread-safe: one mutex, never held while calling out
// (but for `log`).
class cluster_view {
 public:
  cluster_view(cluster_keys keys, std::uint32_t shards, log_callback log);
  cluster_view(const cluster_view&) = delete;
  cluster_view& operator=(const cluster_view&) = delete;

  // Replaces everything with `kvs`, the keys under keys.root() as a range
  // read them at `revision` (meta and unknown keys are skipped).
  void reload(const std::vector<key_value>& kvs, std::int64_t revision);
  // Applies the events of a watch; true when one of them is of a node or a
  // shard, whether or not the copy had it already (the echo of an own
  // write, an event seen again after a reconnect).
  bool apply(const std::vector<watch_event>& events);
  // The node's own writes: `rec` at rec.mod_revision; ignored unless newer.
  void put_shard(std::uint32_t n, shard_record rec);
  // A node's record as the key holds it at `mod_revision`.
  void put_node(node_record rec, std::int64_t mod_revision);

  std::uint32_t shards() const noexcept { return shards_; }
  // Live nodes (their keys exist) sorted by id; their ids alone.
  std::vector<node_record> live_nodes() const;
  std::vector<std::string> live_ids() const;
  std::optional<node_record> live_node(std::string_view id) const;
  // nullopt: no record (or n >= shards()).
  std::optional<shard_record> shard(std::uint32_t n) const;
  std::vector<std::optional<shard_record>> shard_map() const;

  // Shards with no record whose rendezvous winner among the live nodes is
  // `self`, ascending.
  std::vector<std::uint32_t> unowned_won_by(std::string_view self) const;
  // (shard, rendezvous winner) for every shard owned (not moving) by a
  // live node that is not its winner, ascending.
  std::vector<std::pair<std::uint32_t, std::string>> planned_moves() const;
  // For every shard owned (not moving) by a live node, towards its
  // rendezvous placement: the `replicas` live nodes of highest weight
  // (place_replicas). Copies on dead nodes go first; the owner's copy is
  // never removed (its leadership moves first), ascending by shard. None
  // with `replicas` 1: the owner's move carries the only copy.
  std::vector<copy_move> planned_copy_moves(std::size_t replicas) const;

 private:
  struct node_slot {
    std::optional<node_record> rec;
    std::int64_t revision = 0;
  };
  struct shard_slot {
    std::optional<shard_record> rec;
    std::int64_t revision = 0;
  };

  // With mutex_ held: one key's new value (nullptr: deleted) at `revision`;
  // true when the copy changed.
  bool take(const std::string& key, const std::string* value,
            std::int64_t revision);
  std::vector<std::string> live_ids_locked() const;

  const cluster_keys keys_;
  const std::uint32_t shards_;
  const log_callback log_;
  mutable std::mutex mutex_;
  std::map<std::string, node_slot, std::less<>> nodes_;
  std::vector<shard_slot> shard_slots_;
  std::int64_t floor_ = 0;  // the last reload's revision: nothing older
};

}  // namespace switchboard::cluster
