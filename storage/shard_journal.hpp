#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/column_family.hpp"

// A shard's journal (docs/cluster.md "Replicas, in-sync copies and failover",
// reconciliation): for each of the shard's last `journal_groups` replicated
// groups, the epoch that wrote it and the keys it wrote, not their values. The
// store keeps the latest value of each key, not a log; the journal is what lets
// two copies of a shard find where their logs part (Kafka's leader epochs: the
// epochs of the same seq differ) and what each wrote since, so that a copy that
// is behind, or ahead with writes no ISR acknowledged, is truncated to the
// common point and brought to its leader's position by the current values
// of exactly those keys, not replaced whole.
//
// Kept in column_family::shard_log beside the shard's position, written by
// the leader's group commit in the same RocksDB write as the group (and so
// replicated with it: a follower's journal is its leader's), and copied
// with the shard.
//
//   key   [shard be16][seq be64]        (the position's key is [shard])
//   value [epoch be64][flags u8] then per key: [cf u8][size be16][key]
//
// flags bit 0: the group also deleted a range of keys, which the entry
// does not list; no reconciliation can cross it (the shard is copied
// whole).
namespace switchboard::storage {

// How many groups of each shard the journal keeps (store_options can
// lower it, for tests). A copy further behind is copied whole, and so is
// one whose patch would pass 4 MB (app/shard_reconcile.cpp), which is
// about this many groups of messages: a hot shard writes this many in a
// few seconds at this machine's full load, a quiet one in hours. A
// message's entry is about 150 bytes: about 1.2 MB a shard at most, and
// never more than the shard's own writes of the same groups.
constexpr std::uint64_t journal_groups = 8192;

std::string journal_key(std::uint16_t shard, std::uint64_t seq);
// The seq of a journal key of `shard`; nullopt for any other key (the
// position's).
std::optional<std::uint64_t> journal_seq(std::uint16_t shard,
                                         std::string_view key);

// A key a group wrote.
struct journal_ref {
  column_family cf = column_family::messages;
  std::string key;
  bool operator<(const journal_ref& o) const {
    return cf != o.cf ? cf < o.cf : key < o.key;
  }
  bool operator==(const journal_ref& o) const {
    return cf == o.cf && key == o.key;
  }
};

struct journal_entry {
  std::int64_t epoch = 0;
  bool ranges = false;  // it deleted a range it does not list
  std::vector<journal_ref> keys;
};

std::string encode_journal(const journal_entry& e);
// nullopt when `v` is not an entry (truncated, a key too long).
std::optional<journal_entry> decode_journal(std::string_view v);
// The epoch of an entry, without reading its keys; nullopt when `v` does
// not begin as an entry does.
std::optional<std::int64_t> journal_epoch(std::string_view v);

// What a copy's journal says of its log: the seqs it covers (first..last;
// both 0 when empty) and, in seq order, the first seq of each run of one
// epoch.
struct journal_summary {
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  std::vector<std::pair<std::int64_t, std::uint64_t>> runs;  // epoch, from

  // The epoch of the group at `seq`, when first <= seq <= last.
  std::optional<std::int64_t> epoch_at(std::uint64_t seq) const;
  // Flat, for a message: first, last, then epoch and seq of each run.
  std::vector<std::int64_t> flat() const;
  static std::optional<journal_summary> from_flat(
      const std::vector<std::int64_t>& v);
};

// The highest seq at which both logs hold the same group: the same epoch
// at the same seq (a leader writes each seq of its epoch once, and a copy
// takes a group only right after the one before it, so the logs are equal
// up to there). 0 when they have nothing in common and both journals reach
// back to seq 1. nullopt when the journals do not reach back far enough to
// tell.
std::optional<std::uint64_t> common_point(const journal_summary& a,
                                          const journal_summary& b);

}  // namespace switchboard::storage
