#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cluster/cluster_keys.hpp"
#include "cluster/cluster_view.hpp"
#include "cluster/etcd_client.hpp"
#include "cluster/etcd_health.hpp"
#include "cluster/node_registration.hpp"
#include "cluster/result.hpp"
#include "cluster/shard_record.hpp"

namespace switchboard::cluster {

// The txns that change the shard map (DESIGN §5): first claims, and the
// three steps of a move. Each compares what it changes (the shard key's
// mod_revision, or its absence), so a change another node made meanwhile
// fails the txn and nothing is written; a success is applied to the view at
// once. Multi-key txns hold at most 64 keys (etcd's --max-txn-ops defaults
// to 128). Thread-safe; everything borrowed must outlive it.
class shard_writer {
 public:
  // The most keys one txn changes.
  static constexpr std::size_t max_txn_keys = 64;

  shard_writer(etcd_client& client, const cluster_keys& keys,
               cluster_view& view, node_registration& self,
               etcd_health& health);

  // Creates every shard without a record that `self` wins among the live
  // nodes: owner self, epoch 1, owned. Each txn also requires this node's
  // key to be the one its registration created, so a node that lost its
  // lease claims nothing: errc::lease_not_found then (also when
  // lease_valid() is false). A shard another node created first is
  // skipped. The count claimed, or the client's error.
  result<std::size_t> claim_unowned();

  // The steps of a move, each one txn on the shard's mod_revision, which
  // must be `expected` (errc::conflict otherwise, or when it changes before
  // the txn). errc::invalid_argument when the record does not allow the
  // step (n out of range, no record, a move already begun or not begun, a
  // target that is the owner or not live). The record as written, with its
  // new mod_revision.
  result<shard_record> begin_move(std::uint32_t n, std::string_view target,
                                  std::int64_t expected);
  result<shard_record> finish_move(std::uint32_t n, std::int64_t expected);
  result<shard_record> abort_move(std::uint32_t n, std::int64_t expected);

 private:
  // The record at mod_revision `expected`, from the view or else from etcd.
  result<shard_record> read_at(std::uint32_t n, std::int64_t expected);
  // Writes `next` over the record at `expected`.
  result<shard_record> replace(std::uint32_t n, shard_record next,
                               std::int64_t expected);
  // Claims `shards` in one txn: true when it succeeded, false when one of
  // them had a record already.
  result<bool> claim_together(const std::vector<std::uint32_t>& shards);
  // The errc::lease_not_found of a node not (or no longer) registered.
  error not_registered() const;

  etcd_client& client_;
  const cluster_keys keys_;
  cluster_view& view_;
  node_registration& self_;
  etcd_health& health_;
};

}  // namespace switchboard::cluster
