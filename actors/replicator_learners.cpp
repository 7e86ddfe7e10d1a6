// A replica's catch-up while its shard takes writes (DESIGN §5
// "Replication"): the leader streams every group's writes of the shard to
// it as to a follower, holding them while the shard's copy (from a
// snapshot) is made, and no write waits for it. It joins the ISR later,
// under a short pause of the shard (app/cluster_replicas.cpp).

#include <caf/all.hpp>
#include <future>

#include "actors/blocking.hpp"
#include "actors/replicator_core.hpp"
#include "metrics/log_sink.hpp"

namespace switchboard::actors {

using namespace replicator_detail;

namespace {

using learner_key = std::pair<std::uint32_t, std::string>;
using answer_fn = std::function<void(std::string)>;

// A request to a learner: it is not in the ISR, nobody waits for it, and a
// page of held writes takes longer than one group.
constexpr auto learner_timeout = std::chrono::seconds(5);
// Held writes sent to a learner in one message.
constexpr std::size_t send_bytes = 1u << 20;

std::size_t bytes_of(const repl_append& a) {
  std::size_t n = 64;
  for (auto& o : a.ops)
    n += 16 + o.key.size() + o.value.size() + o.range_end.size();
  return n;
}

// Runs `fn(core, answer)` inside the replicator's actor and waits up to
// `timeout` for its answer ("" or why not).
template <class Fn>
std::string call(const std::shared_ptr<replicator::core>& c, Fn fn,
                 std::chrono::milliseconds timeout) {
  auto p = std::make_shared<std::promise<std::string>>();
  auto f = p->get_future();
  post_to(c->actor, [c, p, fn] {
    auto once = std::make_shared<bool>(false);
    fn(*c, answer_fn{[p, once](std::string why) {
      if (*once) return;
      *once = true;
      p->set_value(std::move(why));
    }});
  });
  if (f.wait_for(timeout) != std::future_status::ready)
    return "the replicator did not answer in time";
  try {
    return f.get();
  } catch (const std::future_error&) {  // the actor went with the question
    return "the node is shutting down";
  }
}

std::string no_catch_up(std::uint32_t shard, const std::string& node) {
  return "no catch-up of node " + node + " on shard " + std::to_string(shard) +
         " is running";
}

}  // namespace

void replicator::core::feed_learners(const group& g) {
  std::map<learner_key, std::vector<repl_append>> out;
  for (auto& a : g.appends) {
    auto it = learners.lower_bound({a.shard, std::string()});
    for (; it != learners.end() && it->first.first == a.shard; ++it) {
      auto& l = it->second;
      if (l.state == learner::phase::failed) continue;
      auto w = to_wire(a);
      if (l.state == learner::phase::streaming) {
        out[it->first].push_back(std::move(w));
        continue;
      }
      l.held_bytes += bytes_of(w);
      if (l.held_bytes > learner_hold_max) {
        learner_failed(l, it->first,
                       "more was written while its copy was made than a "
                       "catch-up holds");
        continue;
      }
      l.held.push_back(std::move(w));
    }
  }
  for (auto& [k, v] : out) send_to_learner(k, std::move(v));
}

void replicator::core::send_to_learner(const learner_key& k,
                                       std::vector<repl_append> appends) {
  auto it = learners.find(k);
  if (it == learners.end() || appends.empty()) return;
  auto& l = it->second;
  ++l.in_flight;
  auto last = appends.back().seq;
  auto answered = [this, k, last](const std::string& why) {
    auto it = learners.find(k);
    if (it == learners.end()) return;  // dropped meanwhile
    auto& l = it->second;
    --l.in_flight;
    if (!why.empty())
      learner_failed(l, k, why);
    else
      l.acked = std::max(l.acked, last);
    learner_progress(k);
  };
  self->request(l.registry, caf::duration{learner_timeout},
                replicate_atom::value, ctx->node_id, std::move(appends))
      .then([answered](const std::string& why) { answered(why); },
            [this, answered](caf::error& e) {
              answered(self->system().render(e));
            });
}

void replicator::core::learner_failed(learner& l, const learner_key& k,
                                      const std::string& why) {
  if (l.state == learner::phase::failed) return;
  l.state = learner::phase::failed;
  l.why = why;
  l.held.clear();
  l.held.shrink_to_fit();
  l.held_bytes = 0;
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
  if (l.in_flight == 0) {
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
        l.registry = reg;
        c.learners.emplace(k, std::move(l));
        c.learner_count.store(c.learners.size(), std::memory_order_release);
        answer("");
      },
      timeout);
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
        if (it == c.learners.end()) return answer(no_catch_up(shard, node));
        auto& l = it->second;
        if (l.state == learner::phase::failed) return answer(l.why);
        if (l.state != learner::phase::copying)
          return answer("the copy of shard " + std::to_string(shard) +
                        " was reported already");
        auto held = std::move(l.held);
        l.held.clear();
        l.held_bytes = 0;
        // What the copy holds already (sequence numbers grow across
        // epochs) is not sent again; the rest must follow it exactly.
        auto first = std::find_if(
            held.begin(), held.end(),
            [&](const repl_append& a) { return a.seq > copied.seq; });
        if (first != held.end() && (first->prev_epoch != copied.epoch ||
                                    first->prev_seq != copied.seq)) {
          c.learner_failed(l, k, "the writes held do not follow the copy");
          return answer(l.why);
        }
        l.state = learner::phase::streaming;
        std::uint64_t target = copied.seq;
        std::vector<repl_append> page;
        std::size_t bytes = 0;
        for (auto a = first; a != held.end(); ++a) {
          bytes += bytes_of(*a);
          target = a->seq;
          page.push_back(std::move(*a));
          if (bytes >= send_bytes) {
            c.send_to_learner(k, std::move(page));
            page.clear();
            bytes = 0;
          }
        }
        c.send_to_learner(k, std::move(page));
        l.acked = std::max(l.acked, copied.seq);
        l.on_acked.emplace_back(target, [&c, k, answer] {
          auto it = c.learners.find(k);
          if (it == c.learners.end())
            return answer(no_catch_up(k.first, k.second));
          answer(it->second.state == learner::phase::failed ? it->second.why
                                                            : "");
        });
        c.learner_progress(k);
      },
      timeout);
}

std::string replicator::drop_learner(std::uint32_t shard,
                                     const std::string& node,
                                     std::chrono::milliseconds timeout) {
  auto why = call(
      core_,
      [shard, node](core& c, const answer_fn& answer) {
        learner_key k{shard, node};
        auto it = c.learners.find(k);
        if (it == c.learners.end()) return answer(no_catch_up(shard, node));
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
  if (!why.empty())  // whatever happened: it is not fed any more
    post_to(core_->actor, [c = core_, k = learner_key{shard, node}] {
      c->learners.erase(k);
      c->learner_count.store(c->learners.size(), std::memory_order_release);
    });
  return why;
}

}  // namespace switchboard::actors
