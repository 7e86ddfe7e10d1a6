// The replication side of a cluster node (docs/cluster.md "Replicas, in-sync
// copies and failover"): taking over the shards of a dead leader, deciding
// which copies a shard it leads needs (the keeper; cluster_copies.cpp makes
// them) and dropping followers that fall behind. Every change of the map is a
// txn on the shard's mod_revision (cluster/shard_writer).

#include "app/cluster_node_impl.hpp"
#include "cluster/placement.hpp"

namespace switchboard::app {

namespace {

using state = cluster::shard_record::state_kind;
using namespace std::chrono_literals;

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

bool cluster_node::impl::resume_inherited() {
  std::map<std::uint32_t, std::int64_t> shards;
  {
    std::lock_guard<std::mutex> l(mtx);
    shards = inherited;
  }
  if (shards.empty() || !coord->lease_valid()) return false;
  auto self_id = coord->self().id;
  bool changed = false;
  auto forget = [&](std::uint32_t n) {
    std::lock_guard<std::mutex> l(mtx);
    inherited.erase(n);
    resume_failure_logged.erase(n);
    changed = true;
  };
  auto failed = [&](std::uint32_t n, std::int64_t epoch,
                    const std::string& why) {
    {
      std::lock_guard<std::mutex> l(mtx);
      if (!resume_failure_logged.insert(n).second) return;  // said once
    }
    metrics::emit(log, "warn", "shard_resume_failed",
                  {{"shard", std::to_string(n)},
                   {"epoch", std::to_string(epoch)},
                   {"error", why}});
  };
  std::vector<std::string> live;
  for (auto& l : coord->live_nodes()) live.push_back(l.id);
  for (auto [n, floor] : shards) {
    auto r = coord->shard(n);
    if (!r || r->owner != self_id || r->epoch > floor) {
      forget(n);  // taken over, handed on, or moved on: not led at `floor`
      continue;
    }
    if (r->state != state::owned) continue;  // a stuck move is aborted first
    // Another copy in sync that lives may hold a tail of the log this node
    // lost (it was not yet durable here): that copy leads, and this one is
    // reconciled to it as a follower.
    auto here = node.positions()->at(n);
    std::string ahead, unsaid;
    storage::shard_position best = here;
    for (auto& f : r->isr) {
      if (f == self_id || !contains(live, f)) continue;
      auto reg = registry_of(f);
      std::string why;
      auto p =
          reg ? node.ask_position(reg, n, std::chrono::milliseconds(2000), &why)
              : std::nullopt;
      if (!p) {
        unsaid = "node " + f + " (in sync) did not say where its copy stands" +
                 (why.empty() ? std::string() : ": " + why);
        break;
      }
      storage::shard_position there{p->first, p->second};
      if (std::tie(there.epoch, there.seq) > std::tie(best.epoch, best.seq)) {
        best = there;
        ahead = f;
      }
    }
    if (!unsaid.empty()) {
      failed(n, r->epoch, unsaid);
      continue;  // asked again next tick; the shard is unavailable
    }
    auto next = ahead.empty() ? coord->resume(n, r->mod_revision)
                              : coord->transfer(n, ahead, r->mod_revision);
    if (!next) {
      failed(n, r->epoch, next.err().message);
      continue;
    }
    forget(n);
    if (ahead.empty())
      metrics::emit(log, "info", "shard_resumed",
                    {{"shard", std::to_string(n)},
                     {"epoch", std::to_string(next->epoch)}});
    else
      metrics::emit(log, "warn", "shard_handed_on",
                    {{"shard", std::to_string(n)},
                     {"to", ahead},
                     {"epoch", std::to_string(next->epoch)},
                     {"here", std::to_string(here.epoch) + "/" +
                                  std::to_string(here.seq)},
                     {"there", std::to_string(best.epoch) + "/" +
                                   std::to_string(best.seq)}});
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

}  // namespace switchboard::app
