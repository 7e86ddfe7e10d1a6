#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "cluster/result.hpp"

namespace switchboard::cluster {

// What a cluster is, at `/<cluster>/meta` (DESIGN §5): written once, by the
// node that creates the cluster (a txn on the key's absence), and read by
// every later start. Plain data.
struct cluster_meta {
  // The layout of the cluster's keys and records that this code writes.
  static constexpr std::int64_t current_format = 2;
  // The shards of a cluster created without a count.
  static constexpr std::uint32_t default_shards = 256;
  // Store keys begin with the shard in 2 bytes (DESIGN §5).
  static constexpr std::uint32_t max_shards = 65536;

  std::uint32_t shards = 0;  // S, fixed forever
  std::int64_t format = current_format;
  std::int64_t created_ms = 0;  // Unix time of the creation, milliseconds
  std::string version;          // software version of the creating node
};

// {"shards":S,"format":F,"created_ms":T,"version":"..."}.
std::string encode_meta(const cluster_meta& m);

// The meta in `value`; errc::bad_response naming the field when it is not
// such an object or its shards are not in 1..max_shards. Any format is
// accepted here: the coordinator decides which it can run. Never throws.
result<cluster_meta> decode_meta(std::string_view value);

}  // namespace switchboard::cluster
