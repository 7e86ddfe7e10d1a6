// How a cluster node gives a shard's copies what they lack (docs/cluster.md
// "Replicas, in-sync copies and failover"): a follower's catch-up and its entry
// into the ISR, a graceful transfer of leadership, and a copy moved to another
// node by rebalance. Every change of the map is a txn on the shard's
// mod_revision (cluster/shard_writer).

#include "actors/replicator.hpp"
#include "app/cluster_node_impl.hpp"
#include "app/shard_copy.hpp"
#include "push/service.hpp"
#include "storage/store.hpp"

namespace switchboard::app {

namespace {

using state = cluster::shard_record::state_kind;
using namespace std::chrono_literals;

// How long a join may wait for the shard's writes and actors to stop.
constexpr auto quiet_timeout = 5s;
// One question to a follower (its position), or to the replicator.
constexpr auto ask_timeout = 2s;
// A catch-up's held writes reaching its replica, after the copy.
constexpr auto stream_timeout = 30s;
// The learner's last writes answered, in the join's pause.
constexpr auto drain_timeout = 6s;

// After a txn on shard n that failed: whether etcd holds `applied(record)`
// now. A conflict or a refusal wrote nothing; anything else (a timeout, a
// lost connection) may have been applied, so etcd is read until it
// answers, or until this node's lease has run out (it takes no writes
// then, so nothing can be acknowledged on a guess).
template <class Applied>
bool applied_after_all(cluster::coordinator& coord, std::uint32_t n,
                       const cluster::error& failed, Applied applied) {
  if (failed.code == cluster::errc::conflict ||
      failed.code == cluster::errc::invalid_argument ||
      failed.code == cluster::errc::lease_not_found)
    return false;
  while (coord.lease_valid()) {
    if (auto now = coord.read_shard(n)) return applied(*now);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // retry
  }
  return false;
}

// Holds one shard of this node quiet while it lives: no actor of the shard
// runs, no write of it is on its way, and everything written before is
// durable here and on the ISR (the store's groups complete in order,
// through the replicator). failure() says why it could not be made so.
class quiet_shard {
 public:
  quiet_shard(actors::node& n, std::uint32_t shard, std::uint32_t shards)
      : dir_(n.dir()), shard_(shard) {
    if (!dir_.freeze_shard(shard, shards, quiet_timeout))
      failure_ = "writes to the shard did not finish in time";
    else if (!dir_.quiesce_shard(shard, shards, quiet_timeout))
      failure_ = "the shard's actors did not stop in time";
    else if (auto s = n.store().commit_and_wait(storage::batch{}); !s)
      failure_ = "the store cannot write: " + s.err().message;
  }
  ~quiet_shard() { dir_.thaw_shard(shard_); }
  quiet_shard(const quiet_shard&) = delete;
  quiet_shard& operator=(const quiet_shard&) = delete;
  const std::string& failure() const { return failure_; }

 private:
  actors::directory& dir_;
  std::uint32_t shard_;
  std::string failure_;
};

// A replica's catch-up stream, stopped when it goes (drop() says how it
// ended).
class learning {
 public:
  learning(actors::replicator* r, std::uint32_t shard, std::string node,
           metrics::log_sink& log)
      : repl_(r), shard_(shard), node_(std::move(node)), log_(log) {}
  ~learning() {
    if (!on_) return;
    if (auto why = repl_->drop_learner(shard_, node_, ask_timeout);
        !why.empty())
      metrics::emit(log_, "warn", "replica_stream_failed",
                    {{"shard", std::to_string(shard_)},
                     {"node_id", node_},
                     {"error", why}});
  }
  learning(const learning&) = delete;
  learning& operator=(const learning&) = delete;
  void started() { on_ = true; }
  bool on() const { return on_; }
  std::string drop() {
    on_ = false;
    return repl_->drop_learner(shard_, node_, drain_timeout);
  }

 private:
  actors::replicator* repl_;
  std::uint32_t shard_;
  std::string node_;
  metrics::log_sink& log_;
  bool on_ = false;
};

// Runs `fn` when it goes, unless dismissed.
struct on_exit {
  std::function<void()> fn;
  ~on_exit() {
    if (fn) fn();
  }
  void dismiss() { fn = nullptr; }
};

// Where the copy of `shard` at `reg` stands, asked until it answers with
// one: a copy with a write not yet durable says none, and is asked again,
// within drain_timeout in all (its writer may be behind with a copy's
// pages, as the learner's stream may be). `*why` says what it said last.
std::optional<std::pair<std::int64_t, std::uint64_t>> settled_position(
    actors::node& node, const caf::actor& reg, std::uint32_t shard,
    std::string& why) {
  auto deadline = clock::now() + drain_timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - clock::now());
    if (left.count() <= 0) return std::nullopt;
    if (auto p = node.ask_position(
            reg, shard, std::min(left, std::chrono::milliseconds(ask_timeout)),
            &why))
      return p;
    std::this_thread::sleep_for(10ms);  // its write is on its way
  }
}

}  // namespace

std::string cluster_node::impl::catch_up(std::uint32_t shard,
                                         const std::string& node_id,
                                         const caf::actor& reg,
                                         std::int64_t epoch, std::size_t& keys,
                                         std::optional<patched>& how) {
  auto* repl = node.replication();
  if (auto why = repl->add_learner(shard, node_id, reg, ask_timeout);
      !why.empty())
    return why;
  // A barrier write: every group the writer hands over from now on is fed
  // to the learner, so that each one the snapshot misses reaches it.
  if (auto s = node.store().commit_and_wait(storage::batch{}); !s)
    return "the store cannot write: " + s.err().message;
  auto snap = node.store().take_snapshot();
  storage::shard_position copied;
  if (auto why =
          bring_copy(shard, node_id, reg, epoch, *snap, keys, how, &copied);
      !why.empty())
    return why;
  snap.reset();
  return repl->learner_copied(shard, node_id, copied, stream_timeout);
}

std::string cluster_node::impl::bring_copy(
    std::uint32_t shard, const std::string& node_id, const caf::actor& reg,
    std::int64_t epoch, const storage::store::snapshot& at, std::size_t& keys,
    std::optional<patched>& how, storage::shard_position* copied) {
  patched p;
  auto cannot = reconcile_copy(node, reg, shard, epoch, &at, p);
  if (cannot.empty()) {
    how = p;
    keys = p.keys;
    if (copied) *copied = p.at;
    return "";
  }
  metrics::emit(log, "info", "replica_not_reconciled",
                {{"shard", std::to_string(shard)},
                 {"node_id", node_id},
                 {"why", cannot}});
  return copy_shard(node, reg, shard, epoch, true, keys, &at, copied);
}

std::string cluster_node::impl::join(std::uint32_t shard,
                                     const std::string& node_id,
                                     bool new_copy) {
  auto reg = registry_of(node_id);
  if (!reg) return "node " + node_id + " is not connected";
  // One freeze of a shard at a time: joins, moves and transfers exclude
  // each other (the freeze is not counted).
  if (moving_now.exchange(true)) return "a move or transfer is running here";
  struct done_moving {
    std::atomic<bool>& flag;
    ~done_moving() { flag = false; }
  } guard{moving_now};
  auto led_here = [&](const std::optional<cluster::shard_record>& r) {
    return r && r->owner == coord->self().id && r->state == state::owned;
  };
  auto start = clock::now();
  // First, while the shard takes writes: a copy from a snapshot, then the
  // stream of what was written since, so that the pause below finds the
  // replica where this node is and copies nothing. A shard without a
  // position (nothing written under replication, or data from before it)
  // is copied in the pause: its position cannot show a copy whole.
  // A node that this join does not make a copy of the shard keeps nothing
  // of it (the catch-up, or the copy in the pause, sent it pages).
  on_exit stray;
  if (new_copy)
    stray.fn = [this, shard, node_id] { drop_copy(shard, node_id); };
  learning stream(node.replication(), shard, node_id, log);
  std::size_t streamed_keys = 0;
  std::optional<patched> reconciled;  // by either part, when it could
  if (auto rec = coord->shard(shard); led_here(rec) &&
                                      !contains(rec->isr, node_id) &&
                                      node.positions()->at(shard).seq > 0) {
    stream.started();
    auto why =
        catch_up(shard, node_id, reg, rec->epoch, streamed_keys, reconciled);
    if (!why.empty()) {
      if (auto not_dropped = stream.drop(); !not_dropped.empty())
        why += "; and the stream did not stop: " + not_dropped;
      metrics::emit(log, "warn", "replica_stream_failed",
                    {{"shard", std::to_string(shard)},
                     {"node_id", node_id},
                     {"error", why}});
    }
  }
  quiet_shard quiet(node, shard, coord->shards());
  if (!quiet.failure().empty()) return quiet.failure();
  // Every write of the shard went to the learner now: once it answered
  // them, it is where this node is (or its stream failed).
  if (stream.on())
    if (auto why = stream.drop(); !why.empty())
      metrics::emit(log, "warn", "replica_stream_failed",
                    {{"shard", std::to_string(shard)},
                     {"node_id", node_id},
                     {"error", why}});
  auto rec = coord->shard(shard);
  if (!led_here(rec))
    return "shard " + std::to_string(shard) + " is not led here";
  if (contains(rec->isr, node_id)) {
    stray.dismiss();
    return "";
  }
  // A new copy is added to the record only now, while the shard is quiet,
  // and taken out again if it does not come into sync: a copy out of sync
  // raises the count of copies a write needs (min-insync, or all of them
  // when there are fewer), so it must not stay one longer than this.
  bool added = false;
  if (new_copy && !contains(rec->replicas, node_id)) {
    auto with = coord->add_replica(shard, node_id, rec->mod_revision);
    if (!with) return "cannot add a copy: " + with.err().message;
    rec = std::move(*with);
    added = true;
    metrics::emit(log, "info", "replica_added",
                  {{"shard", std::to_string(shard)}, {"node_id", node_id}});
  }
  auto undo = [&](const std::string& why) {
    if (!added) return why;
    auto now = coord->shard(shard);
    auto back = now ? coord->remove_replica(shard, node_id, now->mod_revision)
                    : cluster::result<cluster::shard_record>(cluster::error{
                          cluster::errc::invalid_argument, "no record"});
    if (!back)
      metrics::emit(log, "error", "replica_not_removed",
                    {{"shard", std::to_string(shard)},
                     {"node_id", node_id},
                     {"error", back.err().message}});
    publish_routes();
    return why;
  };
  auto here = node.positions()->at(shard);
  std::string unsaid;
  auto there = settled_position(node, reg, shard, unsaid);
  if (!there)
    return undo("node " + node_id +
                " did not say where its copy stands: " + unsaid);
  std::size_t keys = 0;
  bool copied = false;
  // The same position is the same log: nothing to copy. Any other (behind,
  // or ahead with writes no ISR member acknowledged) is reconciled to this
  // node's log where the journals show where the two part, or else
  // replaced whole, never patched by a guess. Position 0 proves nothing (a
  // data directory from before replication has data and no position):
  // copied too, which costs little for a shard that is empty.
  if (there->first != here.epoch || there->second != here.seq ||
      here.seq == 0) {
    std::optional<patched> now;
    // The shard is quiet, but a snapshot also keeps out what writes to it
    // outside its actors (the push service's erases).
    auto snap = node.store().take_snapshot();
    auto why =
        here.seq == 0
            ? copy_shard(node, reg, shard, rec->epoch, true, keys)
            : bring_copy(shard, node_id, reg, rec->epoch, *snap, keys, now);
    snap.reset();
    if (!why.empty()) return undo(why);
    if (now)
      reconciled = now;
    else
      copied = true;
  }
  auto next = coord->expand_isr(shard, node_id, rec->mod_revision);
  if (!next) {
    // Applied after all (a timeout): the follower is in sync in etcd, so
    // the routes must name it before any write is taken (the thaw).
    if (applied_after_all(*coord, shard, next.err(),
                          [&](const cluster::shard_record& r) {
                            return contains(r.isr, node_id);
                          })) {
      publish_routes();
      stray.dismiss();
      return "";
    }
    return undo("cannot add it to the ISR: " + next.err().message);
  }
  // The route names the new follower before any write of the shard is
  // taken again (the thaw, after this).
  publish_routes();
  stray.dismiss();
  failover_done(shard, *next);
  m.isr_expands.inc();
  (copied          ? m.catch_ups_paused
   : reconciled    ? m.catch_ups_reconciled
   : streamed_keys ? m.catch_ups_streamed
                   : m.catch_ups_none)
      .inc();
  auto count = [&](std::uint64_t patched::*field) {
    return std::to_string(reconciled ? (*reconciled).*field : 0);
  };
  metrics::emit(
      log, "info", "isr_expanded",
      {{"shard", std::to_string(shard)},
       {"node_id", node_id},
       {"streamed_keys", std::to_string(streamed_keys)},
       {"copied_keys", copied ? std::to_string(keys) : std::string("0")},
       {"reconciled_keys",
        std::to_string(reconciled ? reconciled->keys : std::size_t{0})},
       {"truncated_groups", count(&patched::truncated)},
       {"appended_groups", count(&patched::appended)},
       {"ms",
        std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                           clock::now() - start)
                           .count())}});
  return "";
}

std::string cluster_node::impl::transfer(std::uint32_t shard,
                                         const std::string& target) {
  auto reg = registry_of(target);
  if (!reg) return "node " + target + " is not connected";
  auto start = clock::now();
  // The push service sends no more of the shard's jobs, and those on
  // their way are answered, before the pause (they may take a while);
  // inside it, what it held back since is written too, so that the new
  // leader does not send those jobs again (push::service::release). Kept
  // here again unless the lead goes.
  auto* pushes = node.pushes();
  auto n16 = static_cast<std::uint16_t>(shard);
  on_exit keep_pushes{[&] {
    if (pushes) pushes->keep(n16);
  }};
  if (pushes) pushes->release(n16, quiet_timeout);
  // Every write taken so far is on the ISR, the target included.
  quiet_shard quiet(node, shard, coord->shards());
  if (!quiet.failure().empty()) return quiet.failure();
  if (pushes) pushes->flush(n16);
  auto rec = coord->shard(shard);
  if (!rec || rec->owner != coord->self().id || rec->state != state::owned)
    return "shard " + std::to_string(shard) + " is not led here";
  if (!cluster::in_isr(*rec, target))
    return "node " + target + " is not in sync on shard " +
           std::to_string(shard);
  auto here = node.positions()->at(shard);
  std::string unsaid;
  auto there = settled_position(node, reg, shard, unsaid);
  if (!there)
    return "node " + target + " did not say where its copy stands: " + unsaid;
  if (there->first != here.epoch || there->second != here.seq)
    return "node " + target + "'s copy of shard " + std::to_string(shard) +
           " is not where this node's is";
  auto next = coord->transfer(shard, target, rec->mod_revision);
  if (!next && !applied_after_all(*coord, shard, next.err(),
                                  [&](const cluster::shard_record& r) {
                                    return r.owner == target;
                                  }))
    return "cannot switch the map: " + next.err().message;
  keep_pushes.dismiss();  // the new leader sends them
  if (pushes) pushes->gone(n16);
  publish_routes();  // before the thaw: requests go to the new leader
  metrics::emit(
      log, "info", "leadership_transferred",
      {{"shard", std::to_string(shard)},
       {"to", target},
       {"epoch", std::to_string(next ? next->epoch : rec->epoch + 1)},
       {"ms",
        std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                           clock::now() - start)
                           .count())}});
  return "";
}

std::string cluster_node::impl::move_copy(std::uint32_t shard,
                                          const std::string& add,
                                          const std::string& remove) {
  auto n = std::to_string(shard);
  auto rec = coord->shard(shard);
  auto led = [&] {
    return rec && rec->owner == coord->self().id && rec->state == state::owned;
  };
  if (!led()) return "shard " + n + " is not led here";
  if (!add.empty() && !cluster::in_isr(*rec, add)) {
    if (cluster::is_replica(*rec, add))
      return "node " + add + " has a copy of shard " + n +
             " that is still catching up; retry once it is in sync";
    if (auto why = join(shard, add, true); !why.empty())
      return "cannot add a copy on node " + add + ": " + why;
    rec = coord->shard(shard);
    if (!led()) return "shard " + n + " is not led here";
  }
  if (remove.empty() || !cluster::is_replica(*rec, remove)) return "";
  if (remove == rec->owner)
    return "node " + remove + " leads shard " + n +
           ": its leadership moves first";
  // Never fewer copies in sync than a write needs (min-insync, or all of
  // them when there are fewer).
  std::size_t in_sync = 0;
  for (auto& i : rec->isr)
    if (i != remove) ++in_sync;
  auto needed =
      std::min<std::size_t>(coord->meta().min_insync, rec->replicas.size() - 1);
  if (in_sync < needed)
    return "without node " + remove + " shard " + n + " would have " +
           std::to_string(in_sync) + " copies in sync, fewer than the " +
           std::to_string(needed) + " its writes need";
  auto next = coord->remove_replica(shard, remove, rec->mod_revision);
  if (!next && !applied_after_all(*coord, shard, next.err(),
                                  [&](const cluster::shard_record& r) {
                                    return !cluster::is_replica(r, remove);
                                  }))
    return "cannot remove the copy on node " + remove + ": " +
           next.err().message;
  publish_routes();  // no write goes to it any more
  metrics::emit(log, "info", "replica_moved",
                {{"shard", n}, {"from", remove}, {"to", add}});
  // Its data there goes too.
  drop_copy(shard, remove);
  return "";
}

void cluster_node::impl::drop_copy(std::uint32_t shard,
                                   const std::string& node_id) {
  // The erase waits behind that node's writer (the pages and appends it
  // may still be writing). A question lost with a peer connection that CAF
  // replaced meanwhile (seen when nodes join under load) is asked again,
  // on the connection there is now. A node that is not connected (dead)
  // keeps the data until a later copy replaces it.
  constexpr int attempts = 3;
  std::string why = "the node is not connected";
  for (int i = 0; i < attempts; ++i) {
    // A copy it became again meanwhile (a later join) is not erased.
    if (auto r = coord->shard(shard); r && cluster::is_replica(*r, node_id))
      return;
    auto reg = registry_of(node_id);
    if (!reg) break;
    why = node.ask(reg, caf::make_message(actors::drop_atom::value, shard),
                   drain_timeout);
    if (why.empty()) return;
    if (why.rfind("no answer", 0) != 0) break;  // refused: said why
  }
  metrics::emit(
      log, "warn", "replica_not_dropped",
      {{"shard", std::to_string(shard)}, {"node_id", node_id}, {"error", why}});
}

}  // namespace switchboard::app
