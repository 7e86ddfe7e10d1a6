#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/cluster_keys.hpp"
#include "cluster/cluster_view.hpp"
#include "cluster/etcd_client.hpp"
#include "cluster/etcd_health.hpp"
#include "cluster/node_registration.hpp"
#include "cluster/result.hpp"
#include "cluster/shard_record.hpp"

namespace switchboard::cluster {

// The txns that change the shard map (docs/ARCHITECTURE.md "cluster/"): first
// claims, the three steps of a move, and the changes of replicas, ISR and
// leader that replication makes (shard_writer_isr.cpp). Each compares what it
// changes (the shard key's mod_revision, or its absence), so a change another
// node made meanwhile fails the txn and nothing is written; a success is
// applied to the view at once. Multi-key txns hold at most 64 keys (etcd's
// --max-txn-ops defaults to 128). Thread-safe; everything borrowed must outlive
// it.
class shard_writer {
 public:
  // The most keys one txn changes.
  static constexpr std::size_t max_txn_keys = 64;

  shard_writer(etcd_client& client, const cluster_keys& keys,
               cluster_view& view, node_registration& self, etcd_health& health,
               std::uint32_t replicas);

  // Creates every shard without a record that `self` wins among the live
  // nodes: owner self, epoch 1, owned, replicas = place_replicas(n, live
  // ids, `replicas` of the constructor) with self first, isr = {self} (the
  // leader brings the others in once it compared or copied them). Each txn also
  // requires this node's key to be the one its registration created, so a node
  // that lost its lease claims nothing: errc::lease_not_found then (also when
  // lease_valid() is false). A shard another node created first is
  // skipped. The count claimed, or the client's error.
  result<std::size_t> claim_unowned();

  // The steps of a move, each one txn on the shard's mod_revision, which
  // must be `expected` (errc::conflict otherwise, or when it changes before
  // the txn). errc::invalid_argument when the record does not allow the
  // step (n out of range, no record, a move already begun or not begun, a
  // target that is the owner or not live). The record as written, with its
  // new mod_revision. finish_move makes the target the owner (epoch + 1)
  // in the old owner's place, first, in both replicas and isr (the old
  // owner leaves both; a target that was a replica is not listed twice).
  result<shard_record> begin_move(std::uint32_t n, std::string_view target,
                                  std::int64_t expected);
  result<shard_record> finish_move(std::uint32_t n, std::int64_t expected);
  result<shard_record> abort_move(std::uint32_t n, std::int64_t expected);

  // Replication's changes of one shard, each one txn on its mod_revision
  // as the steps of a move (errc::conflict, errc::invalid_argument alike).
  // The epoch changes only where said.
  //
  // Removes `node` from the isr. Invalid when it is the owner or not in
  // the isr. (Below meta's min_insync is allowed: the leader then acks
  // nothing.)
  result<shard_record> shrink_isr(std::uint32_t n, std::string_view node,
                                  std::int64_t expected);
  // Appends `node` to the isr. Invalid unless it is a replica, not in the
  // isr, and live.
  result<shard_record> expand_isr(std::uint32_t n, std::string_view node,
                                  std::int64_t expected);
  // Appends `node` to the replicas, not to the isr (it has to catch up
  // first). Invalid when it is a replica already, not live, or the shard
  // has cluster_meta::max_replicas replicas.
  result<shard_record> add_replica(std::uint32_t n, std::string_view node,
                                   std::int64_t expected);
  // Removes `node` from the replicas and the isr. Invalid when it is the
  // owner or not a replica.
  result<shard_record> remove_replica(std::uint32_t n, std::string_view node,
                                      std::int64_t expected);
  // Failover: self becomes the owner, epoch + 1, isr = {self}, self first
  // in the replicas (the others kept in their order). Invalid unless self
  // is in the isr, the owner is not live in the view, and the shard is
  // owned (not moving). The txn also requires this node's key to be the
  // one its registration created: errc::lease_not_found when it is not
  // (also when lease_valid() is false), so a node that lost its lease
  // cannot take over.
  result<shard_record> take_over(std::uint32_t n, std::int64_t expected);
  // A restarted owner's first word on a shard it still owns: epoch + 1,
  // nothing else changed. Its log may have lost a tail that was not yet
  // durable (async durability, relaxed writes) and that a copy holds, so
  // its next groups must not reuse that epoch's seqs: at a new epoch the
  // journals tell the two tails apart (storage::common_point). Invalid
  // unless self is the owner and the shard is owned (not moving); requires
  // this node's key, as take_over does.
  result<shard_record> resume(std::uint32_t n, std::int64_t expected);
  // Graceful change of leader: owner = `target`, epoch + 1, `target` moved
  // first in the isr and the replicas (the old owner stays in both).
  // Invalid unless `target` is in the isr, live, not the owner, and the
  // shard is owned (not moving).
  result<shard_record> transfer(std::uint32_t n, std::string_view target,
                                std::int64_t expected);

 private:
  // The record at mod_revision `expected`, from the view or else from etcd.
  result<shard_record> read_at(std::uint32_t n, std::int64_t expected);

 public:
  // Shard n's record as etcd holds it now (a linearizable read), put into
  // the view; errc::invalid_argument when it has none. What a caller reads
  // after a txn whose outcome it does not know (a timeout).
  result<shard_record> read_now(std::uint32_t n);

 private:
  // Writes `next` over the record at `expected`; `as_registered`: only
  // while this node's key is the one its registration created
  // (errc::lease_not_found otherwise).
  result<shard_record> replace(std::uint32_t n, shard_record next,
                               std::int64_t expected,
                               bool as_registered = false);
  // Claims `shards` in one txn: true when it succeeded, false when one of
  // them had a record already.
  result<bool> claim_together(const std::vector<std::uint32_t>& shards);
  // The errc::lease_not_found of a node not (or no longer) registered.
  error not_registered() const;
  // `ids` with `first` at the front (moved there, or added when absent).
  static std::vector<std::string> moved_first(std::vector<std::string> ids,
                                              const std::string& first);

  etcd_client& client_;
  const cluster_keys keys_;
  cluster_view& view_;
  node_registration& self_;
  etcd_health& health_;
  const std::uint32_t replicas_;
};

}  // namespace switchboard::cluster
