// A replica's catch-up while its shard takes writes (docs/cluster.md
// "Replicas, in-sync copies and failover"): the leader streams every group's
// writes of the shard to it as to a follower, holding them while the shard's
// copy (from a snapshot) is made, and no write waits for it. It joins the ISR
// later, under a short pause of the shard (app/cluster_replicas.cpp).

#include <caf/all.hpp>
#include <future>
#include <optional>

#include "actors/blocking.hpp"
#include "actors/replicator_core.hpp"
#include "metrics/log_sink.hpp"

namespace switchboard::actors {

using namespace replicator_detail;

namespace {

using learner_key = std::pair<std::uint32_t, std::string>;
using answer_fn = std::function<void(std::string)>;

// A message to a learner: it is not in the ISR, nobody waits for it, and a
// page of queued writes takes longer than one group.
constexpr auto learner_timeout = std::chrono::seconds(5);
// At most this much of a learner's queue in one message, and this many
// messages unanswered (its writes are applied one message after another).
constexpr std::size_t send_bytes = 1u << 20;
constexpr std::size_t send_window = 4;

std::size_t bytes_of(const repl_append& a) {
  std::size_t n = 64;
  for (auto& o : a.ops)
    n += 16 + o.key.size() + o.value.size() + o.range_end.size();
  return n;
}

// Runs `fn(core, answer)` inside the replicator's actor and waits up to
// `timeout` for its answer ("" or why not).
// Runs `fn(core, answer)` inside the replicator's actor and waits up to
// `timeout` for its answer ("" or why not); nullopt without one in time.
// Only the message holds the promise: when the actor is gone, the message
// goes with it and the wait ends at once (a broken promise).
template <class Fn>
std::optional<std::string> call(const std::shared_ptr<replicator::core>& c,
                                Fn fn, std::chrono::milliseconds timeout) {
  auto p = std::make_shared<std::promise<std::string>>();
  auto f = p->get_future();
  post_to(c->actor, [c, p = std::move(p), fn] {
    auto once = std::make_shared<bool>(false);
    fn(*c, answer_fn{[p, once](std::string why) {
      if (*once) return;
      *once = true;
      p->set_value(std::move(why));
    }});
  });
  if (f.wait_for(timeout) != std::future_status::ready) return std::nullopt;
  try {
    return f.get();
  } catch (const std::future_error&) {  // the actor went with the question
    return std::string("the node is shutting down");
  }
}

const std::string no_answer = "the replicator did not answer in time";

std::string no_catch_up(std::uint32_t shard, const std::string& node) {
  return "no catch-up of node " + node + " on shard " + std::to_string(shard) +
         " is running";
}

}  // namespace

void replicator::core::feed_learners(const group& g) {
  std::vector<learner_key> fed;
  for (auto& a : g.appends) {
    auto it = learners.lower_bound({a.shard, std::string()});
    for (; it != learners.end() && it->first.first == a.shard; ++it) {
      auto& l = it->second;
      if (l.state == learner::phase::failed || l.draining) continue;
      auto w = to_wire(a);
      l.queued_bytes += bytes_of(w);
      l.queue.push_back(std::move(w));
      if (l.queued_bytes > learner_queue_max) {
        learner_failed(l, it->first,
                       "more was written than it took in time (its queue "
                       "is full)");
        continue;
      }
      if (l.state == learner::phase::streaming) fed.push_back(it->first);
    }
  }
  for (auto& k : fed) pump(k);
}

void replicator::core::pump(const learner_key& k) {
  auto it = learners.find(k);
  if (it == learners.end()) return;
  auto& l = it->second;
  while (l.state == learner::phase::streaming && l.in_flight < send_window &&
         !l.queue.empty()) {
    std::vector<repl_append> page;
    std::size_t bytes = 0;
    while (!l.queue.empty() && (page.empty() || bytes < send_bytes)) {
      auto n = bytes_of(l.queue.front());
      bytes += n;
      l.queued_bytes -= n;
      page.push_back(std::move(l.queue.front()));
      l.queue.pop_front();
    }
    ++l.in_flight;
    auto last = page.back().seq;
    auto answered = [this, k, id = l.id, last](const std::string& why) {
      auto it = learners.find(k);
      if (it == learners.end() || it->second.id != id) return;  // dropped
      auto& l = it->second;
      --l.in_flight;
      if (!why.empty())
        learner_failed(l, k, why);
      else
        l.acked = std::max(l.acked, last);
      pump(k);
      learner_progress(k);
    };
    self->request(l.registry, caf::duration{learner_timeout},
                  replicate_atom::value, ctx->node_id, std::move(page))
        .then([answered](const std::string& why) { answered(why); },
              [this, answered](caf::error& e) {
                answered(self->system().render(e));
              });
  }
}

void replicator::core::learner_failed(learner& l, const learner_key& k,
                                      const std::string& why) {
  if (l.state == learner::phase::failed) return;
  l.state = learner::phase::failed;
  l.why = why;
  l.queue.clear();
  l.queue.shrink_to_fit();
  l.queued_bytes = 0;
  metrics::emit(ctx->log, "warn", "replica_catch_up_failed",
                {{"shard", std::to_string(k.first)},
                 {"node_id", k.second},
                 {"error", why}});
}

void replicator::core::learner_progress(const learner_key& k) {
  // Each waiter looks its learner up again: one may drop it.
  auto it = learners.find(k);
  if (it == learners.end()) return;
  auto& l = it->second;
  std::vector<std::function<void()>> ready;
  auto failed = l.state == learner::phase::failed;
  for (auto w = l.on_acked.begin(); w != l.on_acked.end();) {
    if (failed || l.acked >= w->first) {
      ready.push_back(std::move(w->second));
      w = l.on_acked.erase(w);
    } else {
      ++w;
    }
  }
  if (l.in_flight == 0 && (l.queue.empty() || failed)) {
    for (auto& f : l.on_idle) ready.push_back(std::move(f));
    l.on_idle.clear();
  }
  for (auto& f : ready) f();
}

std::string replicator::add_learner(std::uint32_t shard,
                                    const std::string& node,
                                    const caf::actor& reg,
                                    std::chrono::milliseconds timeout) {
  return call(
             core_,
             [shard, node, reg](core& c, const answer_fn& answer) {
               learner_key k{shard, node};
               if (c.learners.count(k))
                 return answer("a catch-up of node " + node + " on shard " +
                               std::to_string(shard) + " is running");
               learner l;
               l.id = c.next_learner_id++;
               l.registry = reg;
               c.learners.emplace(k, std::move(l));
               c.learner_count.store(c.learners.size(),
                                     std::memory_order_release);
               answer("");
             },
             timeout)
      .value_or(no_answer);
}

std::string replicator::learner_copied(std::uint32_t shard,
                                       const std::string& node,
                                       storage::shard_position copied,
                                       std::chrono::milliseconds timeout) {
  return call(
             core_,
             [shard, node, copied](core& c, const answer_fn& answer) {
               learner_key k{shard, node};
               auto it = c.learners.find(k);
               if (it == c.learners.end())
                 return answer(no_catch_up(shard, node));
               auto& l = it->second;
               if (l.state == learner::phase::failed) return answer(l.why);
               if (l.state != learner::phase::copying)
                 return answer("the copy of shard " + std::to_string(shard) +
                               " was reported already");
               // What the copy holds already (sequence numbers grow across
               // epochs) is not sent; the rest must follow it exactly.
               while (!l.queue.empty() && l.queue.front().seq <= copied.seq) {
                 l.queued_bytes -= bytes_of(l.queue.front());
                 l.queue.pop_front();
               }
               if (!l.queue.empty() &&
                   (l.queue.front().prev_epoch != copied.epoch ||
                    l.queue.front().prev_seq != copied.seq)) {
                 c.learner_failed(l, k,
                                  "the writes queued do not follow the copy");
                 return answer(l.why);
               }
               // Returns once it persisted what was written until now.
               auto target = l.queue.empty() ? copied.seq : l.queue.back().seq;
               l.state = learner::phase::streaming;
               l.acked = std::max(l.acked, copied.seq);
               l.on_acked.emplace_back(target, [&c, k, answer] {
                 auto it = c.learners.find(k);
                 if (it == c.learners.end())
                   return answer(no_catch_up(k.first, k.second));
                 answer(it->second.state == learner::phase::failed
                            ? it->second.why
                            : "");
               });
               c.pump(k);
               c.learner_progress(k);
             },
             timeout)
      .value_or(no_answer);
}

std::string replicator::drop_learner(std::uint32_t shard,
                                     const std::string& node,
                                     std::chrono::milliseconds timeout) {
  auto answered = call(
      core_,
      [shard, node](core& c, const answer_fn& answer) {
        learner_key k{shard, node};
        auto it = c.learners.find(k);
        if (it == c.learners.end()) return answer(no_catch_up(shard, node));
        // Nothing more is queued: what is queued is sent (a learner that
        // streams) and answered within learner_timeout per message.
        auto& l = it->second;
        l.draining = true;
        if (l.state != learner::phase::streaming) {
          l.queue.clear();
          l.queued_bytes = 0;
        }
        it->second.on_idle.push_back([&c, k, answer] {
          auto it = c.learners.find(k);
          if (it == c.learners.end())
            return answer(no_catch_up(k.first, k.second));
          auto& l = it->second;
          std::string why;
          if (l.state == learner::phase::failed)
            why = l.why;
          else if (l.state == learner::phase::copying)
            why = "its copy was not finished";
          c.learners.erase(it);
          c.learner_count.store(c.learners.size(), std::memory_order_release);
          answer(why);
        });
        c.learner_progress(k);
      },
      timeout);
  if (answered) return *answered;
  // Not drained in time: it is not fed any more either way.
  post_to(core_->actor, [c = core_, k = learner_key{shard, node}] {
    c->learners.erase(k);
    c->learner_count.store(c->learners.size(), std::memory_order_release);
  });
  return no_answer;
}

}  // namespace switchboard::actors
