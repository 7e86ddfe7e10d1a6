#include "cluster/coordinator.hpp"

#include <algorithm>
#include <chrono>
#include <utility>
#include <vector>

#include "cluster/cluster_view.hpp"
#include "cluster/cluster_watch.hpp"
#include "cluster/shard_writer.hpp"
#include "common/clock.hpp"

namespace switchboard::cluster {

namespace {

error invalid(std::string what) {
  return {errc::invalid_argument, std::move(what)};
}

// `e` with what start was doing, and for errc::unreachable where it looked,
// so that the node's exit message says what to fix.
error during(const coordinator_options& o, std::string_view step, error e) {
  std::string where =
      e.code == errc::unreachable
          ? "cannot reach etcd at " + o.etcd + " (" + std::string(step) + ")"
          : "cluster " + o.cluster + ": " + std::string(step);
  return {e.code, where + ": " + e.message};
}

status check(const coordinator_options& o) {
  if (o.self.id.empty()) return invalid("cluster: a node id is required");
  if (o.self.id.find('/') != std::string::npos)
    return invalid("cluster: node id " + o.self.id + " contains '/'");
  if (o.cluster.empty() || o.cluster.find('/') != std::string::npos)
    return invalid("cluster: the cluster name \"" + o.cluster +
                   "\" is empty or contains '/'");
  if (o.ttl_s <= 0) return invalid("cluster: the lease TTL must be positive");
  if (o.shards > cluster_meta::max_shards)
    return invalid("cluster: --shards " + std::to_string(o.shards) +
                   " is above " + std::to_string(cluster_meta::max_shards));
  if (o.replicas > cluster_meta::max_replicas)
    return invalid("cluster: --replicas " + std::to_string(o.replicas) +
                   " is above " + std::to_string(cluster_meta::max_replicas));
  return ok;
}

// The cluster's meta: written by this start when the key is absent (a txn
// on that, so two first starts cannot both create it), else read.
result<cluster_meta> create_or_read_meta(etcd_client& client,
                                         const cluster_keys& keys,
                                         const coordinator_options& o) {
  cluster_meta fresh;
  fresh.shards = o.shards != 0 ? o.shards : cluster_meta::default_shards;
  fresh.created_ms = common::unix_ms();
  fresh.version = o.self.version;
  fresh.replicas =
      o.replicas != 0 ? o.replicas : cluster_meta::default_replicas;
  fresh.min_insync =
      o.min_insync != 0
          ? o.min_insync
          : std::min(cluster_meta::default_min_insync, fresh.replicas);
  // Counts this start could not create a cluster with may still match a
  // stored one: the txn then writes nothing, and refuses only if the
  // cluster is new.
  bool creatable = fresh.min_insync <= fresh.replicas;
  auto key = keys.meta();
  std::vector<txn_op> create;
  if (creatable) create.push_back(txn_op::put(key, encode_meta(fresh)));
  auto txn = client.txn({compare::create_revision(key, compare::op::equal, 0)},
                        create, {txn_op::range(key)});
  if (!txn) return during(o, "reading meta", txn.err());
  if (txn->succeeded && !creatable)
    return invalid("cluster " + o.cluster + ": --min-insync " +
                   std::to_string(fresh.min_insync) + " is above --replicas " +
                   std::to_string(fresh.replicas));
  if (txn->succeeded) {
    log_to(o.log, "info", "cluster_created",
           "cluster " + o.cluster + " created with " +
               std::to_string(fresh.shards) + " shards, " +
               std::to_string(fresh.replicas) + " replicas, min_insync " +
               std::to_string(fresh.min_insync));
    return fresh;
  }
  if (txn->responses.empty() || txn->responses[0].kvs.empty())
    return error{errc::conflict,
                 "cluster " + o.cluster + ": meta was deleted while starting"};
  auto stored = decode_meta(txn->responses[0].kvs[0].value);
  if (!stored) return during(o, "meta", stored.err());
  if (stored->format != cluster_meta::current_format)
    return invalid("cluster " + o.cluster + " has meta format " +
                   std::to_string(stored->format) + "; this node runs " +
                   std::to_string(cluster_meta::current_format));
  if (o.shards != 0 && o.shards != stored->shards)
    return invalid("cluster " + o.cluster + " has " +
                   std::to_string(stored->shards) + " shards; --shards " +
                   std::to_string(o.shards) +
                   " applies only when a cluster is created");
  if (o.replicas != 0 && o.replicas != stored->replicas)
    return invalid("cluster " + o.cluster + " has " +
                   std::to_string(stored->replicas) + " replicas; --replicas " +
                   std::to_string(o.replicas) +
                   " applies only when a cluster is created");
  if (o.min_insync != 0 && o.min_insync != stored->min_insync)
    return invalid("cluster " + o.cluster + " has min_insync " +
                   std::to_string(stored->min_insync) + "; --min-insync " +
                   std::to_string(o.min_insync) +
                   " applies only when a cluster is created");
  return stored;
}

}  // namespace

coordinator::coordinator(coordinator_options opts, etcd_client client)
    : opts_(std::move(opts)),
      keys_(opts_.cluster),
      client_(std::move(client)) {}

result<std::unique_ptr<coordinator>> coordinator::start(
    coordinator_options opts) {
  if (auto checked = check(opts); !checked) return checked.err();
  if (opts.self.started_ms == 0) opts.self.started_ms = common::unix_ms();
  auto client = etcd_client::create(opts.etcd, opts.etcd_opts);
  if (!client) return client.err();
  std::unique_ptr<coordinator> c(
      new coordinator(std::move(opts), std::move(*client)));
  const auto& o = c->opts_;

  auto meta = create_or_read_meta(c->client_, c->keys_, o);
  if (!meta) return meta.err();
  c->meta_ = *meta;

  // The copy and its watch come before the registration: the registration
  // puts this node in the copy at once (a node is live to itself without
  // waiting for the watch), and tells the watch to start again when etcd is
  // back after an outage (a stream on a connection from before may be
  // stuck: a watch has no deadline).
  c->view_ = std::make_unique<cluster_view>(c->keys_, c->meta_.shards, o.log);
  auto watch = cluster_watch::start(c->client_, c->keys_, *c->view_, c->health_,
                                    o.log, o.on_change);
  if (!watch) return during(o, "loading and watching", watch.err());
  c->watch_ = std::move(*watch);

  node_registration::options reg{o.self, o.ttl_s, o.on_keepalive, o.log};
  reg.on_registered = [view = c->view_.get()](const node_record& self,
                                              std::int64_t revision) {
    view->put_node(self, revision);
  };
  reg.on_recovered = [watch = c->watch_.get()] { watch->restart(); };
  auto registered =
      node_registration::start(c->client_, c->keys_, reg, c->health_);
  if (!registered) return during(o, "registering", registered.err());
  c->registration_ = std::move(*registered);

  c->writer_ = std::make_unique<shard_writer>(c->client_, c->keys_, *c->view_,
                                              *c->registration_, c->health_,
                                              c->meta_.replicas);
  auto claimed = c->writer_->claim_unowned();
  if (!claimed) return during(o, "claiming shards", claimed.err());
  log_to(o.log, "info", "node_joined",
         "node " + o.self.id + " joined cluster " + o.cluster + " (" +
             std::to_string(c->meta_.shards) + " shards, incarnation " +
             std::to_string(c->incarnation()) + "), claimed " +
             std::to_string(*claimed) + " shards");
  return c;
}

coordinator::~coordinator() {
  // The lease first, so the key goes (and the keepalive thread, which
  // calls into the watch and the copy, stops); then the watch, so
  // on_change stops; the copy last.
  writer_.reset();
  registration_.reset();
  watch_.reset();
  view_.reset();
}

std::uint32_t coordinator::shards() const { return meta_.shards; }

std::int64_t coordinator::incarnation() const {
  return registration_->incarnation();
}

std::int64_t coordinator::key_revision() const {
  return registration_->key_revision();
}

node_record coordinator::self() const { return registration_->self(); }

std::vector<node_record> coordinator::live_nodes() const {
  return view_->live_nodes();
}

std::optional<node_record> coordinator::live_node(std::string_view id) const {
  return view_->live_node(id);
}

std::optional<shard_record> coordinator::shard(std::uint32_t n) const {
  return view_->shard(n);
}

std::vector<std::optional<shard_record>> coordinator::shard_map() const {
  return view_->shard_map();
}

bool coordinator::lease_valid() const { return registration_->lease_valid(); }

bool coordinator::etcd_reachable() const { return health_.reachable(); }

result<shard_record> coordinator::read_shard(std::uint32_t n) {
  return writer_->read_now(n);
}

result<shard_record> coordinator::begin_move(
    std::uint32_t n, std::string_view target,
    std::int64_t expected_mod_revision) {
  return writer_->begin_move(n, target, expected_mod_revision);
}

result<shard_record> coordinator::finish_move(
    std::uint32_t n, std::int64_t expected_mod_revision) {
  return writer_->finish_move(n, expected_mod_revision);
}

result<shard_record> coordinator::abort_move(
    std::uint32_t n, std::int64_t expected_mod_revision) {
  return writer_->abort_move(n, expected_mod_revision);
}

result<shard_record> coordinator::shrink_isr(
    std::uint32_t n, std::string_view node,
    std::int64_t expected_mod_revision) {
  return writer_->shrink_isr(n, node, expected_mod_revision);
}

result<shard_record> coordinator::expand_isr(
    std::uint32_t n, std::string_view node,
    std::int64_t expected_mod_revision) {
  return writer_->expand_isr(n, node, expected_mod_revision);
}

result<shard_record> coordinator::add_replica(
    std::uint32_t n, std::string_view node,
    std::int64_t expected_mod_revision) {
  return writer_->add_replica(n, node, expected_mod_revision);
}

result<shard_record> coordinator::remove_replica(
    std::uint32_t n, std::string_view node,
    std::int64_t expected_mod_revision) {
  return writer_->remove_replica(n, node, expected_mod_revision);
}

result<shard_record> coordinator::take_over(
    std::uint32_t n, std::int64_t expected_mod_revision) {
  return writer_->take_over(n, expected_mod_revision);
}

result<shard_record> coordinator::resume(std::uint32_t n,
                                         std::int64_t expected_mod_revision) {
  return writer_->resume(n, expected_mod_revision);
}

result<shard_record> coordinator::transfer(std::uint32_t n,
                                           std::string_view target,
                                           std::int64_t expected_mod_revision) {
  return writer_->transfer(n, target, expected_mod_revision);
}

result<std::size_t> coordinator::claim_unowned() {
  return writer_->claim_unowned();
}

std::vector<std::pair<std::uint32_t, std::string>> coordinator::planned_moves()
    const {
  return view_->planned_moves();
}

std::vector<copy_move> coordinator::planned_copy_moves() const {
  return view_->planned_copy_moves(static_cast<std::size_t>(meta().replicas));
}

void coordinator::suspend_keepalive(bool suspended) {
  registration_->suspend_keepalive(suspended);
}

}  // namespace switchboard::cluster
