#pragma once

#include <cstdint>
#include <string_view>

// Which shard an id belongs to (docs/ARCHITECTURE.md "cluster/"). The hash is
// part of the data format and of the cluster's shard map: it is fixed forever.
// Changing it would move every key of every store and every actor of every
// cluster.
//
// stable_hash(id) = the first 8 bytes of SHA-256(id), read big-endian.
// SHA-256 is standard, so anyone can recompute a shard from a shell
// (`printf %s alice | sha256sum`, the first 16 hex digits, mod S), and all
// of its bits are well mixed, so `mod S` is even for any S, powers of two
// included. FNV-1a 64 was the other candidate and is rejected: its low k
// bits depend only on the low k bits of each step, so `mod 256` would be a
// weak 8-bit hash. Cost: about 0.1 us per id here, with the digest fetched
// once.
//
// Test vectors (also in tests/storage/shard_test.cpp and ARCHITECTURE.md):
//   stable_hash("alice") = 0x2bd806c97f0e00af
//   shard_of("alice", 256) = 175, shard_of("bob", 256) = 218,
//   shard_of("c1", 256) = 219, shard_of("alice", 7) = 1,
//   shard_of("bob", 65536) = 50906
namespace switchboard::storage {

// S of a new data directory unless its creator chose another.
constexpr std::uint32_t default_shards = 256;
// A shard is written in 2 bytes: S is 1..65536.
constexpr std::uint32_t max_shards = 65536;

constexpr bool valid_shard_count(std::uint32_t shards) noexcept {
  return shards >= 1 && shards <= max_shards;
}

// The first 8 bytes of SHA-256 of the id's bytes, big-endian. Thread-safe.
std::uint64_t stable_hash(std::string_view id) noexcept;

// stable_hash(id) mod shards. Precondition: valid_shard_count(shards).
inline std::uint16_t shard_of_hash(std::uint64_t hash,
                                   std::uint32_t shards) noexcept {
  return static_cast<std::uint16_t>(hash % shards);
}
inline std::uint16_t shard_of(std::string_view id,
                              std::uint32_t shards) noexcept {
  return shard_of_hash(stable_hash(id), shards);
}

}  // namespace switchboard::storage
