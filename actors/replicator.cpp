#include "actors/replicator.hpp"

#include <caf/all.hpp>

#include "actors/blocking.hpp"
#include "actors/directory.hpp"
#include "actors/messages.hpp"
#include "actors/replicator_core.hpp"
#include "actors/shard_positions.hpp"
#include "actors/timed_request.hpp"
#include "metrics/log_sink.hpp"
#include "metrics/metrics.hpp"

namespace switchboard::actors {

using namespace replicator_detail;

void replicator::core::take(std::shared_ptr<group> g) {
  // Per follower: the appends of the shards it follows, as one message.
  std::map<std::string, std::pair<caf::actor, std::vector<repl_append>>> out;
  g->asks.resize(g->appends.size());
  for (std::size_t i = 0; i < g->appends.size(); ++i) {
    auto& a = g->appends[i];
    auto r = ctx->dir->route_of_shard(a.shard);
    for (std::size_t f = 0; f < r.followers.size(); ++f) {
      g->asks[i].push_back(ask{r.followers[f], outcome::waiting, {}});
      auto& slot = out[r.followers[f]];
      if (f < r.follower_registries.size())
        slot.first = r.follower_registries[f];
      slot.second.push_back(to_wire(a));
    }
  }
  queue.push_back(g);
  g->start = std::chrono::steady_clock::now();
  g->asked = !out.empty();
  for (auto& [node, dest] : out) {
    if (!dest.first) {
      refused(g, node, "node " + node + " is not connected");
      continue;
    }
    std::weak_ptr<group> weak = g;
    timed_request(self, &timer, dest.first, caf::duration{ctx->lim.replica_lag},
                  replicate_atom::value, ctx->node_id, std::move(dest.second))
        .then(
            [this, weak, node = node](const std::string& why) {
              auto g = weak.lock();
              if (!g) return;
              if (!why.empty()) return refused(g, node, why);
              for (auto& per : g->asks)
                for (auto& k : per)
                  if (k.node == node) k.state = outcome::persisted;
              settle();
            },
            [this, weak, node = node](caf::error& e) {
              if (auto g = weak.lock())
                refused(g, node, self->system().render(e));
            });
  }
  if (!learners.empty()) feed_learners(*g);
  settle();
}

void replicator::core::refused(const std::shared_ptr<group>& g,
                               const std::string& node,
                               const std::string& why) {
  for (std::size_t i = 0; i < g->appends.size(); ++i) {
    for (auto& k : g->asks[i]) {
      if (k.node != node || k.state != outcome::waiting) continue;
      k.state = outcome::refused;
      k.why = why;
      auto shard = g->appends[i].shard;
      auto key = std::make_pair(std::uint32_t(shard), node);
      if (shrinking.count(key)) continue;
      shrinking[key] = true;
      metrics::emit(ctx->log, "warn", "replica_behind",
                    {{"shard", std::to_string(shard)},
                     {"node_id", node},
                     {"error", why}});
      if (!ctx->shrink_isr) {
        shrunk(shard, node, "no cluster to remove it in");
        continue;
      }
      auto handle = actor;
      ctx->shrink_isr(shard, node, [handle, this, shard, node](std::string w) {
        post_to(handle, [this, shard, node, w] { shrunk(shard, node, w); });
      });
    }
  }
  settle();
}

void replicator::core::shrunk(std::uint32_t shard, const std::string& node,
                              const std::string& why) {
  shrinking.erase({shard, node});
  if (!why.empty()) {
    metrics::emit(
        ctx->log, "error", "isr_shrink_failed",
        {{"shard", std::to_string(shard)}, {"node_id", node}, {"error", why}});
    // What waited for the removal fails: nothing is acknowledged without
    // a replica that is still in the ISR.
    for (auto& g : queue)
      for (std::size_t i = 0; i < g->appends.size(); ++i)
        if (g->appends[i].shard == shard)
          for (auto& k : g->asks[i])
            if (k.node == node && k.state == outcome::refused) {
              k.state = outcome::not_removed;
              k.why = why;
            }
  }
  settle();
}

void replicator::core::finish(const storage::status& st) {
  auto g = std::move(queue.front());
  queue.pop_front();
  if (st && g->asked && ctx->metrics)
    ctx->metrics->replication_seconds.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                      g->start)
            .count());
  auto done = std::move(g->done);
  g->done.clear();
  for (auto& d : done) d(st);
  pending.fetch_sub(1, std::memory_order_acq_rel);
}

// Completes the groups at the head of the queue that are decided.
void replicator::core::settle() {
  while (!queue.empty()) {
    auto& g = *queue.front();
    std::string failed;
    bool wait = false;
    for (std::size_t i = 0; i < g.appends.size() && failed.empty(); ++i) {
      auto& a = g.appends[i];
      auto n = std::to_string(a.shard);
      auto r = ctx->dir->route_of_shard(a.shard);
      if (r.what != directory::shard_route::kind::local ||
          r.epoch != a.at.epoch || !ctx->lease_ok()) {
        failed = "shard " + n + " is not written here now (" +
                 (r.reason.empty() ? "its leader changed" : r.reason) + ")";
        break;
      }
      for (auto& k : g.asks[i]) {
        if (k.state == outcome::persisted) continue;
        if (k.state == outcome::not_removed) {
          failed = "node " + k.node + " of shard " + n +
                   " did not persist the write and could not be removed "
                   "from its in-sync replicas: " +
                   k.why;
          break;
        }
        bool still_in = std::find(r.followers.begin(), r.followers.end(),
                                  k.node) != r.followers.end();
        if (k.state == outcome::refused && !still_in) continue;  // removed
        wait = true;
      }
      if (failed.empty() && r.followers.size() + 1 < r.min_insync)
        failed = "shard " + n + " has " +
                 std::to_string(r.followers.size() + 1) +
                 " in-sync replicas, fewer than its min-insync " +
                 std::to_string(r.min_insync);
    }
    if (!failed.empty()) {
      metrics::emit(ctx->log, "warn", "replicated_write_failed",
                    {{"error", failed}});
      finish(storage::error{storage::errc::unavailable, failed + "; retry"});
      continue;
    }
    if (wait) return;
    finish(storage::ok);
  }
}

replicator::replicator(caf::actor_system& sys, node_context& ctx)
    : ctx_(ctx), core_(std::make_shared<core>()) {
  core_->ctx = &ctx;
  core_->actor = sys.spawn([c = core_](caf::event_based_actor* self) {
    c->self = self;
    self->set_default_handler(caf::drop);
    // A node going away fails what still waits for followers.
    self->attach_functor([c] {
      while (!c->queue.empty())
        c->finish(
            storage::error{storage::errc::closed, "the node is shutting down"});
      c->self = nullptr;
      c->timer = {};  // its ids are this actor's only
    });
    return caf::behavior{[c](continue_atom, continuation& k) { k.fn(); }};
  });
}

replicator::~replicator() { close(); }

std::optional<storage::shard_step> replicator::next_position(
    std::uint16_t shard) {
  if (!ctx_.positions || closing_.load(std::memory_order_acquire))
    return std::nullopt;
  // The lease itself, not only the routes the cluster loop publishes
  // from it: a loop that is late must not let a stale leader write.
  if (!ctx_.lease_ok()) return std::nullopt;
  // Only a shard served here now, at the epoch it is led at: a write the
  // replicator could not send to its ISR (the lease ran out, the shard
  // lacks copies in sync) is refused before it is written, never left in
  // this store alone.
  auto r = ctx_.dir->route_of_shard(shard);
  if (r.what != directory::shard_route::kind::local ||
      r.epoch != ctx_.positions->leading(shard))
    return std::nullopt;
  return ctx_.positions->next(shard);
}

void replicator::close() {
  closing_.store(true, std::memory_order_release);
  caf::anon_send_exit(core_->actor, caf::exit_reason::user_shutdown);
}

void replicator::not_written(
    const std::vector<storage::shard_append>& appends) {
  if (!ctx_.positions) return;
  for (auto& a : appends)
    ctx_.positions->give_back(a.shard, storage::shard_step{a.prev, a.at});
}

void replicator::written(std::vector<storage::shard_append> appends,
                         std::vector<storage::completion> done) {
  if (closing_.load(std::memory_order_acquire)) {
    // A group without appends wrote nothing of a replicated shard; one
    // taken before the close is never acknowledged now.
    storage::status st = storage::ok;
    if (!appends.empty())
      st = storage::error{storage::errc::closed, "the node is shutting down"};
    for (auto& d : done) d(st);
    return;
  }
  bool replicated = false;
  for (auto& a : appends) {
    auto r = ctx_.dir->route_of_shard(a.shard);
    // Through the actor, which fails it, also when the shard is not
    // served here now (the lease ran out, the shard lacks copies).
    if (!r.followers.empty() || r.min_insync > 1 ||
        r.what != directory::shard_route::kind::local) {
      replicated = true;
      break;
    }
  }
  // A learner gets every group of its shard (replicator_learners.cpp).
  if (!replicated && core_->pending.load(std::memory_order_acquire) == 0 &&
      core_->learner_count.load(std::memory_order_acquire) == 0) {
    for (auto& d : done) d(storage::ok);
    return;
  }
  core_->pending.fetch_add(1, std::memory_order_acq_rel);
  auto g = std::make_shared<group>();
  g->appends = std::move(appends);
  g->done = std::move(done);
  post_to(core_->actor, [c = core_, g] { c->take(g); });
}

}  // namespace switchboard::actors
