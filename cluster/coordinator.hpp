#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cluster/cluster_keys.hpp"
#include "cluster/cluster_meta.hpp"
#include "cluster/coordinator_log.hpp"
#include "cluster/etcd_client.hpp"
#include "cluster/etcd_health.hpp"
#include "cluster/etcd_options.hpp"
#include "cluster/node_record.hpp"
#include "cluster/node_registration.hpp"
#include "cluster/result.hpp"
#include "cluster/shard_record.hpp"

namespace switchboard::cluster {

class cluster_view;
class cluster_watch;
class shard_writer;

struct coordinator_options {
  // `--etcd`: "http://127.0.0.1:2379,..." (see parse_endpoints).
  std::string etcd;
  // The cluster's keys are under "/<cluster>/"; no '/' in it.
  std::string cluster = "switchboard";
  // This node; `id` is required (no '/'), `incarnation` is set by start,
  // and so is `started_ms` when 0.
  node_record self{};
  // The lease's TTL; etcd grants at least 2 s.
  std::int64_t ttl_s = 5;
  // The shard count if this start creates the cluster; 0: 256 then, and
  // whatever is stored otherwise. A count that differs from the stored one
  // is refused.
  std::uint32_t shards = 0;
  // The copies of each shard and the in-sync ones a write needs, if this
  // start creates the cluster; 0: cluster_meta::default_replicas (3) and
  // default_min_insync (2, but at most `replicas`) then, and whatever is
  // stored otherwise. A non-zero value that differs from the stored one is
  // refused, as is min_insync > replicas or replicas > 5 at creation.
  std::uint32_t replicas = 0;
  std::uint32_t min_insync = 0;
  etcd_options etcd_opts{};
  // A keepalive's latency (seconds) and outcome; may be empty.
  keepalive_callback on_keepalive{};
  // See coordinator_log.hpp; may be empty.
  log_callback log{};
  // The live nodes or the shard map may have changed (called after the
  // copy has the change, on the watch's thread, one call at a time; a
  // change may be reported more than once). Must not block long, nor call
  // the coordinator's destructor. May be empty.
  std::function<void()> on_change{};
};

// A node's part in its cluster (docs/ARCHITECTURE.md "cluster/"): its
// registration in etcd under a lease it keeps alive, and a watched copy of the
// live nodes and of the shard map, with the txns that claim and move shards. No
// CAF: the node's actors read it and call it from threads that may block (every
// call that writes waits for etcd, up to the request timeout). Threads of
// its own: the keepalive, the watch, and the watch's supervisor.
// Thread-safe. Not movable: callbacks hold its address.
class coordinator {
 public:
  // Blocking start: connects to etcd, creates `meta` (when the cluster is
  // new) or reads it, loads the nodes and shards and watches them from the
  // load's revision, registers this node and starts the keepalive, then
  // claims the shards without a record that this node wins by rendezvous
  // among the live nodes (a shard claimed first by another is skipped).
  // Shards never move by themselves: a dead owner keeps its shards.
  // Errors: errc::unreachable (no endpoint answered: the node should exit
  // non-zero), errc::invalid_argument (bad options, or `shards` differs
  // from the stored count, or an unknown meta format),
  // errc::already_exists (the id is live already), the client's others.
  static result<std::unique_ptr<coordinator>> start(coordinator_options opts);

  // Stops the threads and revokes the lease: the node's key disappears at
  // once (a clean leave). Waits up to about one etcd request timeout.
  ~coordinator();
  coordinator(const coordinator&) = delete;
  coordinator& operator=(const coordinator&) = delete;

  // S, fixed when the cluster was created.
  std::uint32_t shards() const;
  const cluster_meta& meta() const { return meta_; }
  // This node's incarnation now: the id of its lease, new at every start
  // and at a re-registration after the lease was lost.
  std::int64_t incarnation() const;
  // The etcd revision that created this node's key now (its registration):
  // a shard record of a lower mod_revision was written before it.
  std::int64_t key_revision() const;
  // This node's record as registered now (a copy: the incarnation may
  // change).
  node_record self() const;
  // Nodes whose keys exist, sorted by id, this one included while it is
  // registered.
  std::vector<node_record> live_nodes() const;
  std::optional<node_record> live_node(std::string_view id) const;
  // Shard n's record as last seen; nullopt: no record yet (or n >= S).
  std::optional<shard_record> shard(std::uint32_t n) const;
  // Every shard's, indexed by shard.
  std::vector<std::optional<shard_record>> shard_map() const;
  // False from TTL - margin after the last successful keepalive: the node
  // must then stop taking writes (docs/cluster.md "When things fail").
  bool lease_valid() const;
  // The latest call to etcd (keepalive, watch, txn) got an answer.
  bool etcd_reachable() const;

  // Rebalance primitives: one txn each, on the shard's mod_revision
  // (errc::conflict when it is not `expected_mod_revision` or changes
  // before the txn; nothing is written then). See shard_writer.
  // Owned -> moving to `target` (live, not the owner); owner and epoch
  // unchanged.
  result<shard_record> begin_move(std::uint32_t n, std::string_view target,
                                  std::int64_t expected_mod_revision);
  // Moving -> owned by the target, epoch + 1; the target takes the old
  // owner's place (first) in replicas and isr.
  result<shard_record> finish_move(std::uint32_t n,
                                   std::int64_t expected_mod_revision);
  // Moving -> owned by the owner as before, same epoch.
  result<shard_record> abort_move(std::uint32_t n,
                                  std::int64_t expected_mod_revision);
  // Replication's changes (docs/cluster.md "Replicas, in-sync copies and
  // failover"), one txn each as above; see shard_writer for what each requires
  // (errc::invalid_argument otherwise). Epoch unchanged unless said. Removes
  // `node` (not the owner) from the isr.
  result<shard_record> shrink_isr(std::uint32_t n, std::string_view node,
                                  std::int64_t expected_mod_revision);
  // Appends `node` (a live replica) to the isr.
  result<shard_record> expand_isr(std::uint32_t n, std::string_view node,
                                  std::int64_t expected_mod_revision);
  // Appends `node` (live) to the replicas, not to the isr; at most 5.
  result<shard_record> add_replica(std::uint32_t n, std::string_view node,
                                   std::int64_t expected_mod_revision);
  // Removes `node` (not the owner) from the replicas and the isr.
  result<shard_record> remove_replica(std::uint32_t n, std::string_view node,
                                      std::int64_t expected_mod_revision);
  // Failover: this node (in the isr) takes the shard of an owner that is
  // not live: epoch + 1, isr = {self}, self first in the replicas.
  // errc::lease_not_found when this node is not registered under a valid
  // lease.
  result<shard_record> take_over(std::uint32_t n,
                                 std::int64_t expected_mod_revision);
  // A restarted owner's shard at epoch + 1, before it leads it again
  // (shard_writer::resume). errc::lease_not_found as take_over.
  result<shard_record> resume(std::uint32_t n,
                              std::int64_t expected_mod_revision);
  // Graceful change of leader to `target` (live, in the isr): epoch + 1,
  // `target` first in isr and replicas, the old owner kept in both.
  result<shard_record> transfer(std::uint32_t n, std::string_view target,
                                std::int64_t expected_mod_revision);
  // Claims the shards without a record that this node wins now (as start
  // does); call it after a node joined or left. The count claimed; 0 when
  // there were none. errc::lease_not_found when this node is not
  // registered under a valid lease.
  result<std::size_t> claim_unowned();
  // What a rebalance would move: (shard, rendezvous winner among the live
  // nodes) for each shard owned (not moving) by a live node that is not
  // its winner, ascending by shard.
  std::vector<std::pair<std::uint32_t, std::string>> planned_moves() const;
  // What a rebalance would move of the shards' copies (cluster_view's
  // planned_copy_moves, at the cluster's replicas).
  std::vector<copy_move> planned_copy_moves() const;

  // Shard n's record as etcd holds it now (not the watched copy), which
  // the copy then has too: after a txn that timed out, whether it was
  // applied. Blocks up to the client's timeout.
  result<shard_record> read_shard(std::uint32_t n);

  // For tests and drills: stops (true) or resumes the keepalives, as if
  // etcd could not be reached; see node_registration::suspend_keepalive.
  void suspend_keepalive(bool suspended);

 private:
  coordinator(coordinator_options opts, etcd_client client);

  coordinator_options opts_;
  cluster_keys keys_;
  etcd_client client_;
  etcd_health health_;
  cluster_meta meta_{};
  std::unique_ptr<cluster_view> view_;
  std::unique_ptr<cluster_watch> watch_;
  std::unique_ptr<node_registration> registration_;
  std::unique_ptr<shard_writer> writer_;
};

}  // namespace switchboard::cluster
