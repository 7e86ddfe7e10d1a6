#include <memory>
#include <unordered_map>

#include "actors/blocking.hpp"
#include "actors/conversation_ops.hpp"
#include "actors/events.hpp"
#include "actors/rate_limiter.hpp"
#include "metrics/metrics.hpp"
#include "storage/store.hpp"

namespace switchboard::actors::detail {

namespace {

using sent_id = conversation_state::sent_id;
using send_job = conversation_state::send_job;
using found_map = std::unordered_map<std::string, sent_id>;

// Retries come soon after the original; older ones are found in the store.
constexpr std::size_t recent_cap = 256;

std::string dedup_key(const send_request& r) {
  std::string k;
  k.reserve(r.sender.size() + 1 + r.client_msg_id.size());
  k.append(r.sender).push_back('\0');
  k.append(r.client_msg_id);
  return k;
}

void remember(conversation_state& st, std::string key, sent_id id) {
  if (st.recent.emplace(key, id).second) {
    st.recent_order.push_back(std::move(key));
    if (st.recent_order.size() > recent_cap) {
      st.recent.erase(st.recent_order.front());
      st.recent_order.pop_front();
    }
  }
}

void answer_duplicate(conversation_state& st, send_job job, sent_id id) {
  if (id.msg_id <= st.durable_upto) {
    job.rp.deliver(send_reply{{}, id.msg_id, id.ts, true});
    return;
  }
  // The original is still being written: answer when it is durable.
  st.dup_waiting.emplace(id.msg_id, std::move(job));
}

void pump(conv_self self);

struct accepted_msg {
  send_job job;
  chat_message msg;
};

void on_written(conv_self self, const storage::status& written,
                std::vector<accepted_msg>& accepted) {
  auto& st = self->state;
  st.last_activity_ms = now_ms();
  if (!written) {
    auto err = internal_error("the message could not be stored");
    for (auto& a : accepted) a.job.rp.deliver(send_reply{err, 0, 0, false});
    auto last = accepted.back().msg.msg_id;
    for (auto it = st.dup_waiting.begin();
         it != st.dup_waiting.end() && it->first <= last;)
      it->second.rp.deliver(send_reply{err, 0, 0, false}),
          it = st.dup_waiting.erase(it);
    return;
  }
  st.durable_upto = accepted.back().msg.msg_id;
  st.ctx->metrics->messages_accepted.inc(accepted.size());
  auto members = member_ids(st);
  for (auto& a : accepted) {
    a.job.rp.deliver(send_reply{{}, a.msg.msg_id, a.msg.ts, false});
    broadcast(self, members, events::message(a.msg), a.job.req.origin_session,
              {}, true);
  }
  while (!st.dup_waiting.empty() &&
         st.dup_waiting.begin()->first <= st.durable_upto) {
    auto node = st.dup_waiting.extract(st.dup_waiting.begin());
    auto key = dedup_key(node.mapped().req);
    auto it = st.recent.find(key);
    std::int64_t ts = it != st.recent.end() ? it->second.ts : 0;
    node.mapped().rp.deliver(send_reply{{}, node.key(), ts, true});
  }
}

// Gives every new message of `jobs` its msg_id, in arrival order, and
// writes them as one batch. `found` holds the idempotency keys the store
// knew.
void accept(conv_self self, std::vector<send_job>& jobs,
            const found_map& found) {
  auto& st = self->state;
  auto now = std::chrono::steady_clock::now();
  storage::batch b;
  auto accepted = std::make_shared<std::vector<accepted_msg>>();
  for (auto& job : jobs) {
    auto key = dedup_key(job.req);
    if (auto it = st.recent.find(key); it != st.recent.end()) {
      answer_duplicate(st, std::move(job), it->second);
      continue;
    }
    if (auto it = found.find(key); it != found.end()) {
      remember(st, key, it->second);
      answer_duplicate(st, std::move(job), it->second);
      continue;
    }
    if (auto wait = st.ctx->rates->try_take(job.req.sender, now); wait > 0) {
      st.ctx->metrics->rate_limited.inc();
      job.rp.deliver(
          send_reply{{"rate_limited", "sending too fast", wait}, 0, 0, false});
      continue;
    }
    storage::message m{0, job.req.sender, job.req.body, now_ms(),
                       job.req.client_msg_id};
    auto id = st.log->append(b, m);
    if (!id) {
      job.rp.deliver(send_reply{internal_error(id.err().message), 0, 0, false});
      continue;
    }
    remember(st, key, sent_id{*id, m.ts_ms});
    chat_message cm{st.conv_id,        *id,     std::move(m.sender),
                    std::move(m.body), m.ts_ms, std::move(m.client_msg_id)};
    accepted->push_back(accepted_msg{std::move(job), std::move(cm)});
  }
  if (accepted->empty()) return;
  commit_then(self, std::move(b), [self, accepted](const storage::status& s) {
    on_written(self, s, *accepted);
  });
}

void pump(conv_self self) {
  auto& st = self->state;
  if (st.lookup_in_flight || st.queued.empty()) return;
  auto jobs = std::make_shared<std::vector<send_job>>(
      std::make_move_iterator(st.queued.begin()),
      std::make_move_iterator(st.queued.end()));
  st.queued.clear();
  std::vector<std::pair<std::string, std::string>> lookups;  // sender, cmid
  for (auto& j : *jobs)
    if (!st.recent.count(dedup_key(j.req)))
      lookups.emplace_back(j.req.sender, j.req.client_msg_id);
  if (lookups.empty()) {
    accept(self, *jobs, {});
    return;
  }
  st.lookup_in_flight = true;
  auto* store = st.ctx->store;
  run_blocking(
      self, *st.ctx->pool,
      [store, conv = st.conv_id, lookups = std::move(lookups)]() {
        storage::result<found_map> out = found_map{};
        for (auto& [sender, cmid] : lookups) {
          auto id = store->find_idempotent(conv, sender, cmid);
          if (!id) return storage::result<found_map>(id.err());
          if (!*id) continue;
          auto pg = store->read_after(conv, **id - 1, 1);
          if (!pg) return storage::result<found_map>(pg.err());
          std::int64_t ts = pg->messages.empty() ? 0 : pg->messages[0].ts_ms;
          out->emplace(sender + '\0' + cmid, sent_id{**id, ts});
        }
        return out;
      },
      [self, jobs](storage::result<found_map> found) {
        auto& st = self->state;
        st.lookup_in_flight = false;
        if (!found) {
          auto err = internal_error(found.err().message);
          for (auto& j : *jobs) j.rp.deliver(send_reply{err, 0, 0, false});
        } else {
          accept(self, *jobs, *found);
        }
        pump(self);
      });
}

}  // namespace

void do_send(conv_self self, send_request req,
             caf::typed_response_promise<send_reply> rp) {
  auto& st = self->state;
  st.last_activity_ms = now_ms();
  if (auto err = check_member(st, req.sender); !err.ok()) {
    rp.deliver(send_reply{err, 0, 0, false});
    return;
  }
  if (req.body.size() > st.ctx->lim.max_body) {
    rp.deliver(send_reply{
        {"too_large", "body is over max_body (" +
                          std::to_string(st.ctx->lim.max_body) + " bytes)"},
        0,
        0,
        false});
    return;
  }
  st.queued.push_back(send_job{std::move(req), std::move(rp)});
  pump(self);
}

}  // namespace switchboard::actors::detail
