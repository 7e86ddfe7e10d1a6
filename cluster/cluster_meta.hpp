#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "cluster/result.hpp"

namespace switchboard::cluster {

// What a cluster is, at `/<cluster>/meta` (docs/ARCHITECTURE.md "cluster/"):
// written once, by the node that creates the cluster (a txn on the key's
// absence), and read by every later start. Plain data.
struct cluster_meta {
  // The layout of the cluster's keys and records that this code writes.
  static constexpr std::int64_t current_format = 2;
  // The shards of a cluster created without a count.
  static constexpr std::uint32_t default_shards = 256;
  // Store keys begin with the shard in 2 bytes (docs/ARCHITECTURE.md
  // "cluster/").
  static constexpr std::uint32_t max_shards = 65536;
  // The copies of each shard, and the in-sync ones a write needs, of a
  // cluster created without counts (docs/cluster.md "Replicas, in-sync copies
  // and failover").
  static constexpr std::uint32_t default_replicas = 3;
  static constexpr std::uint32_t default_min_insync = 2;
  static constexpr std::uint32_t max_replicas = 5;

  std::uint32_t shards = 0;  // S, fixed forever
  std::int64_t format = current_format;
  std::int64_t created_ms = 0;  // Unix time of the creation, milliseconds
  std::string version;          // software version of the creating node
  // Copies of each shard, the leader's included: 1..max_replicas. Fixed
  // when the cluster is created, like `shards`.
  std::uint32_t replicas = 1;
  // The ISR members a write needs before it is acknowledged:
  // 1..replicas.
  std::uint32_t min_insync = 1;
};

// {"shards":S,"format":F,"created_ms":T,"version":"...","replicas":R,
// "min_insync":M}.
std::string encode_meta(const cluster_meta& m);

// The meta in `value`; errc::bad_response naming the field when it is not
// such an object, its shards are not in 1..max_shards, its replicas not in
// 1..max_replicas or its min_insync not in 1..replicas. Without "replicas"
// and "min_insync" (a cluster created before replication) both are 1: one
// copy. Any format is accepted here: the coordinator decides which it can
// run. Never throws.
result<cluster_meta> decode_meta(std::string_view value);

}  // namespace switchboard::cluster
