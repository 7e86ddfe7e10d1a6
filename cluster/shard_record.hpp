#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/cluster_meta.hpp"
#include "cluster/result.hpp"

namespace switchboard::cluster {

// Who has a shard, at `/<cluster>/shards/<n>` (docs/ARCHITECTURE.md
// "cluster/"). Changed only by a txn that compares the key's mod_revision (or
// its absence, for the first claim), so every change is made knowing the one
// before. Plain data.
struct shard_record {
  enum class state_kind {
    owned,   // `owner` serves the shard
    moving,  // `owner` still serves it while it is copied to `target`
  };

  std::string owner;  // node id
  // The fencing token: 1 at the first claim, + 1 at every change of owner.
  std::int64_t epoch = 1;
  state_kind state = state_kind::owned;
  std::string target;  // the node it moves to; empty unless moving
  // The nodes holding a copy (docs/cluster.md "Replicas, in-sync copies and
  // failover"), the owner first; at most cluster_meta::max_replicas, no
  // duplicates.
  std::vector<std::string> replicas{};
  // The in-sync replicas: a subset of `replicas` that holds the owner, the
  // owner first. Only these may take the shard over.
  std::vector<std::string> isr{};
  // The key's mod_revision in etcd when this was read: what the next
  // change compares. Not part of the stored value.
  std::int64_t mod_revision = 0;
};

// "owned" or "moving".
std::string_view to_string(shard_record::state_kind s) noexcept;

// The value stored in etcd: {"owner":..,"epoch":N,"state":"owned"|"moving",
// "replicas":[..],"isr":[..]} with "target" when moving. mod_revision is
// not written. A record whose replicas and isr are both empty (made in
// code without them) is written with both as [owner], as decode_shard
// reads a record without them.
std::string encode_shard(const shard_record& s);

// The record in `value` (mod_revision left 0: the caller knows it);
// errc::bad_response naming the field when it is not such an object, has
// no owner, an epoch below 1, an unknown state, or a moving one without a
// target; or when "replicas"/"isr" are not arrays of non-empty strings,
// hold a duplicate, more than cluster_meta::max_replicas replicas, an isr
// member that is not a replica, or an isr without the owner (or one of the two
// arrays is missing). A record without both arrays (written before replication)
// has replicas = isr = {owner}. Never throws.
result<shard_record> decode_shard(std::string_view value);

// `node` is in s.isr / in s.replicas.
bool in_isr(const shard_record& s, std::string_view node);
bool is_replica(const shard_record& s, std::string_view node);

// A copy of a shard that rebalance moves (docs/cluster.md "Replicas, in-sync
// copies and failover"): to `add` (empty: none, the shard has more copies than
// the cluster wants) from `remove` (empty: none, it has fewer), the new copy in
// sync before the old one goes.
struct copy_move {
  std::uint32_t shard = 0;
  std::string add;
  std::string remove;
};

}  // namespace switchboard::cluster
