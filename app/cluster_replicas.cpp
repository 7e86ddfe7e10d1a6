// The replication side of a cluster node (DESIGN §5 "Replication"): taking
// over the shards of a dead leader, giving shards their copies, bringing
// followers into the ISR and dropping those that fall behind. Every change
// of the map is a txn on the shard's mod_revision (cluster/shard_writer).

#include "app/cluster_node_impl.hpp"
#include "app/shard_copy.hpp"
#include "cluster/placement.hpp"
#include "storage/store.hpp"

namespace switchboard::app {

namespace {

using state = cluster::shard_record::state_kind;
using namespace std::chrono_literals;

// How long a join may wait for the shard's writes and actors to stop.
constexpr auto quiet_timeout = 5s;
// One question to a follower (its position).
constexpr auto ask_timeout = 2s;

bool contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

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

}  // namespace

void cluster_node::impl::shrink(std::uint32_t shard, std::string node_id,
                                std::function<void(std::string)> done) {
  {
    std::lock_guard<std::mutex> lock(mtx);
    if (stopping) return done("the node is leaving its cluster");
    isr_jobs.push_back(
        [this, shard, node_id, done] { done(shrink_now(shard, node_id)); });
  }
  cv.notify_all();
}

std::string cluster_node::impl::shrink_now(std::uint32_t shard,
                                           const std::string& node_id) {
  // Twice: a record changed by another txn meanwhile (an ISR expansion, say)
  // is read again.
  std::string why;
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto rec = coord->shard(shard);
    if (!rec || rec->owner != coord->self().id)
      return "shard " + std::to_string(shard) + " is not led here";
    if (!contains(rec->isr, node_id)) {
      publish_routes();
      return "";
    }
    auto next = coord->shrink_isr(shard, node_id, rec->mod_revision);
    if (next) {
      m.isr_shrinks.inc();
      metrics::emit(log, "warn", "isr_shrunk",
                    {{"shard", std::to_string(shard)},
                     {"node_id", node_id},
                     {"isr", std::to_string(next->isr.size())}});
      publish_routes();
      return "";
    }
    why = next.err().message;
    if (next.err().code != cluster::errc::conflict) break;
  }
  return why;
}

void cluster_node::impl::failover_done(std::uint32_t shard,
                                       const cluster::shard_record& rec) {
  auto needed =
      std::min<std::size_t>(coord->meta().min_insync, rec.replicas.size());
  if (rec.isr.size() < needed) return;
  std::lock_guard<std::mutex> l(mtx);
  auto it = taken_over.find(shard);
  if (it == taken_over.end()) return;
  m.failover_seconds.observe(
      std::chrono::duration<double>(clock::now() - it->second).count());
  taken_over.erase(it);
}

void cluster_node::impl::run_keeper() {
  std::unique_lock<std::mutex> lock(mtx);
  while (!stopping) {
    cv.wait_for(lock, tick, [&] { return keep_dirty || stopping; });
    if (stopping) break;
    keep_dirty = false;
    lock.unlock();
    // Passes follow each other while they change something (a takeover,
    // then the joins it needs), and the map's news is waited for otherwise.
    while (keep_replicas()) {
      std::lock_guard<std::mutex> l(mtx);
      if (stopping) break;
    }
    lock.lock();
  }
}

bool cluster_node::impl::take_over_dead() {
  if (!coord->lease_valid()) return false;
  auto self_id = coord->self().id;
  std::vector<std::string> live;
  for (auto& n : coord->live_nodes()) live.push_back(n.id);
  auto map = coord->shard_map();
  bool changed = false;
  for (std::uint32_t n = 0; n < map.size(); ++n) {
    auto& r = map[n];
    if (!r || r->state != state::owned || contains(live, r->owner)) continue;
    if (!contains(r->isr, self_id)) continue;
    // A copy that diverged (a write of it failed here) must not lead.
    if (node.positions() && node.positions()->at(n).epoch < 0) continue;
    // The first live member of the ISR takes it: one txn, not a race of
    // all of them (the txn on the revision would settle a race anyway).
    std::string first;
    for (auto& i : r->isr)
      if (i != r->owner && contains(live, i)) {
        first = i;
        break;
      }
    if (first != self_id) continue;
    auto start = clock::now();
    auto next = coord->take_over(n, r->mod_revision);
    if (!next) {
      metrics::emit(log, "warn", "shard_takeover_failed",
                    {{"shard", std::to_string(n)},
                     {"owner", r->owner},
                     {"error", next.err().message}});
      continue;
    }
    changed = true;
    m.failovers.inc();
    {
      std::lock_guard<std::mutex> l(mtx);
      taken_over[n] = start;
    }
    failover_done(n, *next);
    metrics::emit(
        log, "warn", "shard_taken_over",
        {{"shard", std::to_string(n)},
         {"from", r->owner},
         {"epoch", std::to_string(next->epoch)},
         {"txn_ms",
          std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                             clock::now() - start)
                             .count())}});
  }
  if (changed) publish_routes();
  return changed;
}

bool cluster_node::impl::keep_replicas() {
  if (!coord->lease_valid()) return false;
  bool changed = false;
  auto self_id = coord->self().id;
  std::vector<std::string> live;
  for (auto& n : coord->live_nodes()) live.push_back(n.id);
  auto want = static_cast<std::size_t>(coord->meta().replicas);
  auto map = coord->shard_map();
  for (std::uint32_t n = 0; n < map.size(); ++n) {
    {
      std::lock_guard<std::mutex> l(mtx);
      if (stopping) return false;
    }
    auto& r = map[n];
    if (!r || r->owner != self_id || r->state != state::owned) continue;
    // A shard with fewer copies than the cluster wants gets one on the
    // live node placement ranks highest among those without one; else a
    // copy out of sync is brought back.
    std::string f;
    bool new_copy = false;
    if (r->replicas.size() < want)
      for (auto& c : cluster::place_replicas(n, live, live.size()))
        if (!contains(r->replicas, c) && registry_of(c)) {
          f = c;
          new_copy = true;
          break;
        }
    if (f.empty())
      for (auto& c : r->replicas)
        if (c != self_id && !contains(r->isr, c) && contains(live, c) &&
            registry_of(c)) {  // not connected yet: a later pass
          f = c;
          break;
        }
    if (!f.empty()) {
      auto why = join(n, f, new_copy);
      if (why.empty()) {
        changed = true;
      } else {
        // A move or transfer of this node's (rebalance) goes first; the
        // join is tried again on the next pass, which is not worth a warning.
        bool busy = why.find("is running here") != std::string::npos;
        metrics::emit(
            log, busy ? "debug" : "warn", "replica_join_failed",
            {{"shard", std::to_string(n)}, {"node_id", f}, {"error", why}});
      }
    }
  }
  return changed;
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
  quiet_shard quiet(node, shard, coord->shards());
  if (!quiet.failure().empty()) return quiet.failure();
  auto rec = coord->shard(shard);
  if (!rec || rec->owner != coord->self().id || rec->state != state::owned)
    return "shard " + std::to_string(shard) + " is not led here";
  if (contains(rec->isr, node_id)) return "";
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
  auto there = node.ask_position(reg, shard, ask_timeout);
  if (!there)
    return undo("node " + node_id + " did not say where its copy stands");
  std::size_t keys = 0;
  bool copied = false;
  auto start = clock::now();
  // The same position is the same log: nothing to copy. Any other (behind,
  // or ahead with writes no ISR member acknowledged) is replaced whole by
  // this node's copy, never patched by a guess. Position 0 proves nothing
  // (a data directory from before replication has data and no position):
  // copied too, which costs little for a shard that is empty.
  if (there->first != here.epoch || there->second != here.seq ||
      here.seq == 0) {
    if (auto why = copy_shard(node, reg, shard, rec->epoch, true, keys);
        !why.empty())
      return undo(why);
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
      return "";
    }
    return undo("cannot add it to the ISR: " + next.err().message);
  }
  // The route names the new follower before any write of the shard is
  // taken again (the thaw, after this).
  publish_routes();
  failover_done(shard, *next);
  m.isr_expands.inc();
  metrics::emit(
      log, "info", "isr_expanded",
      {{"shard", std::to_string(shard)},
       {"node_id", node_id},
       {"copied_keys", copied ? std::to_string(keys) : std::string("0")},
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
  // Every write taken so far is on the ISR, the target included.
  quiet_shard quiet(node, shard, coord->shards());
  if (!quiet.failure().empty()) return quiet.failure();
  auto rec = coord->shard(shard);
  if (!rec || rec->owner != coord->self().id || rec->state != state::owned)
    return "shard " + std::to_string(shard) + " is not led here";
  if (!cluster::in_isr(*rec, target))
    return "node " + target + " is not in sync on shard " +
           std::to_string(shard);
  auto here = node.positions()->at(shard);
  auto there = node.ask_position(reg, shard, ask_timeout);
  if (!there) return "node " + target + " did not say where its copy stands";
  if (there->first != here.epoch || there->second != here.seq)
    return "node " + target + "'s copy of shard " + std::to_string(shard) +
           " is not where this node's is";
  auto next = coord->transfer(shard, target, rec->mod_revision);
  if (!next && !applied_after_all(*coord, shard, next.err(),
                                  [&](const cluster::shard_record& r) {
                                    return r.owner == target;
                                  }))
    return "cannot switch the map: " + next.err().message;
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

}  // namespace switchboard::app
