#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::cluster {

// Where shards belong (docs/ARCHITECTURE.md "cluster/"): rendezvous (highest
// random weight) hashing. Each shard goes to the live node with the highest
// weight(shard, node); a node that joins takes only the shards it now
// wins, a node that leaves gives up only its own, and every node computes
// the same answer from the same list of node ids, with no coordination.
// The map in etcd is what is true; this is only where `rebalance` moves
// shards towards and where an unowned shard is first given.
//
// weight(shard, node) = storage::stable_hash(node_id + "/" + decimal shard):
// fixed forever, like the shard hash, since it decides where data lives.
// Pure functions; thread-safe.
std::uint64_t placement_weight(std::uint32_t shard, std::string_view node_id);

// The node of `nodes` that `shard` belongs to; "" when `nodes` is empty.
// Ties (equal weights) go to the smaller node id, so the order of `nodes`
// never matters.
std::string place_shard(std::uint32_t shard,
                        const std::vector<std::string>& nodes);

// Where `shard`'s n copies belong: the n nodes of `nodes` of highest
// weight (all of them, when fewer), highest first, ties to the smaller id as
// in place_shard, so place_replicas(s, nodes, 1)[0] == place_shard(s,
// nodes). A node listed twice counts once.
std::vector<std::string> place_replicas(std::uint32_t shard,
                                        const std::vector<std::string>& nodes,
                                        std::size_t n);

// place_shard for every shard 0..shards-1.
std::vector<std::string> place_all(std::uint32_t shards,
                                   const std::vector<std::string>& nodes);

}  // namespace switchboard::cluster
