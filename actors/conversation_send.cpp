#include <memory>
#include <string_view>
#include <unordered_map>

#include "actors/blocking.hpp"
#include "actors/budget_check.hpp"
#include "actors/conversation_ops.hpp"
#include "actors/events.hpp"
#include "metrics/log_sink.hpp"
#include "metrics/metrics.hpp"
#include "storage/store.hpp"

namespace switchboard::actors::detail {

namespace {

using sent_id = conversation_state::sent_id;
using send_job = conversation_state::send_job;
using found_map = std::unordered_map<std::string, sent_id>;

// The key of `recent` and of the store's lookups: sender and client_msg_id.
std::string dedup_key(std::string_view sender, std::string_view cmid) {
  std::string k;
  k.reserve(sender.size() + 1 + cmid.size());
  k.append(sender).push_back('\0');
  k.append(cmid);
  return k;
}

void answer_duplicate(conversation_state& st, send_job job, sent_id id) {
  if (auto now =
          st.dups.hold(std::move(job), id, st.durable_upto, st.confirmed))
    now->rp.deliver(send_reply{{}, id.msg_id, id.ts, true});
}

// Duplicates wait for a write and none is coming: a barrier write of the
// conversation's shard, with nothing in it.
void confirm_by_barrier(conv_self self) {
  auto& st = self->state;
  if (!st.dups.awaiting_confirmation() || st.writes_in_flight > 0) return;
  storage::batch b;
  b.touch_shard(st.conv_id);
  // Its success answers them (commit_then); a failure reloads the actor,
  // which answers them `unavailable` (finish_reload).
  commit_then(self, std::move(b), [](const storage::status&) {});
}

struct accepted_msg {
  send_answer rp;
  std::string key;  // dedup_key
  std::string origin_session;
  chat_message msg;
};

void on_written(conv_self self, const storage::status& written,
                std::vector<accepted_msg>& accepted) {
  auto& st = self->state;
  st.last_activity_ms = now_ms();
  if (!written) {
    // Never `sent` for a message that is not stored; the actor reloads its
    // next msg_id from the store (reloading, set by commit_then).
    auto err = storage_unavailable(written.err().message);
    for (auto& a : accepted) {
      a.rp.deliver(send_reply{err, 0, 0, false});
      // Not sent after all: a retry must be taken as new, not answered as
      // a duplicate of an id that will never be durable.
      st.recent.failed(a.key);
    }
    for (auto& j : st.dups.failed(accepted.back().msg.msg_id))
      j.rp.deliver(send_reply{err, 0, 0, false});
    return;
  }
  st.durable_upto = accepted.back().msg.msg_id;
  st.ctx->metrics->messages_accepted.inc(accepted.size());
  burst_written(self);
  std::vector<outgoing_message> out;
  out.reserve(accepted.size());
  for (auto& a : accepted) {
    a.rp.deliver(send_reply{{}, a.msg.msg_id, a.msg.ts, false});
    out.push_back({events::message(a.msg), std::move(a.msg.sender),
                   std::move(a.origin_session)});
  }
  broadcast_messages(self, out);
  for (auto& [j, id] : st.dups.durable(st.durable_upto))
    j.rp.deliver(send_reply{{}, id.msg_id, id.ts, true});
}

// Gives every new message of `jobs` its msg_id, in arrival order, and
// writes them as one batch. `found` holds the idempotency keys the store
// knew.
void accept(conv_self self, std::vector<send_job>& jobs,
            const found_map& found) {
  auto& st = self->state;
  storage::batch b;
  auto accepted = std::make_shared<std::vector<accepted_msg>>();
  accepted->reserve(jobs.size());
  for (auto& job : jobs) {
    // Sent before (earlier in this batch, too), and not a failed write.
    if (auto* id = st.recent.find(job.key)) {
      answer_duplicate(st, std::move(job), *id);
      continue;
    }
    if (auto f = found.find(job.key); f != found.end()) {
      st.recent.record(job.key, f->second, st.durable_upto);
      answer_duplicate(st, std::move(job), f->second);
      continue;
    }
    if (auto wait = take_budget(*st.ctx, send_budget, job.req.sender);
        wait > 0) {
      st.ctx->metrics->rate_limited.inc();
      job.rp.deliver(send_reply{
          {proto_code::rate_limited, "sending too fast", wait}, 0, 0, false});
      continue;
    }
    storage::message m{0, std::move(job.req.sender), std::move(job.req.body),
                       now_ms(), std::move(job.req.client_msg_id)};
    auto id = st.log->append(b, m);
    if (!id) {
      job.rp.deliver(send_reply{internal_error(id.err().message), 0, 0, false});
      continue;
    }
    st.recent.record(job.key, sent_id{*id, m.ts_ms}, st.durable_upto);
    accepted->push_back(accepted_msg{
        std::move(job.rp), std::move(job.key),
        std::move(job.req.origin_session),
        chat_message{st.conv_id, *id, std::move(m.sender), std::move(m.body),
                     m.ts_ms, std::move(m.client_msg_id)}});
  }
  if (accepted->empty()) {
    confirm_by_barrier(self);
    return;
  }
  note_burst(self, b, accepted->back().msg);
  commit_then(self, std::move(b), [self, accepted](const storage::status& s) {
    on_written(self, s, *accepted);
  });
}

void pump(conv_self self) {
  auto& st = self->state;
  auto jobs = st.sends.take();
  if (jobs.empty()) return;
  // A new client_msg_id is the common case, and memory alone can usually
  // tell that the store has never seen it; only the others (retries, and
  // keys memory cannot rule out) are looked up on the I/O pool. Keys still
  // being written are in `recent`, which accept() checks first.
  auto* store = st.ctx->store;
  std::vector<std::pair<std::string, std::string>> lookups;  // sender, cmid
  for (auto& j : jobs)
    if (store->probe_idempotent(st.conv_id, j.req.sender,
                                j.req.client_msg_id) !=
        storage::store::probe::absent)
      lookups.emplace_back(j.req.sender, j.req.client_msg_id);
  if (lookups.empty()) {
    accept(self, jobs, {});
    return;
  }
  st.sends.lookup_started();
  auto waiting = std::make_shared<std::vector<send_job>>(std::move(jobs));
  run_blocking(
      self, *st.ctx->pool,
      [store, conv = st.conv_id, lookups = std::move(lookups)]() {
        storage::result<found_map> out = found_map{};
        for (auto& [sender, cmid] : lookups) {
          auto hit = store->find_idempotent(conv, sender, cmid);
          if (!hit) return storage::result<found_map>(hit.err());
          if (!*hit) continue;
          auto id = (*hit)->msg_id;
          std::int64_t ts = (*hit)->ts_ms.value_or(0);
          if (!(*hit)->ts_ms) {
            // Written before the value kept the timestamp: the message
            // has it.
            auto pg = store->read_after(conv, id - 1, 1);
            if (!pg) return storage::result<found_map>(pg.err());
            // The next message after id - 1 is the message id, unless
            // it is gone (then the answer carries no timestamp).
            if (!pg->messages.empty() && pg->messages[0].msg_id == id)
              ts = pg->messages[0].ts_ms;
          }
          out->emplace(dedup_key(sender, cmid), sent_id{id, ts});
        }
        return out;
      },
      [self, waiting](storage::result<found_map> found) {
        auto& st = self->state;
        st.sends.lookup_done();
        if (st.reloading) {
          auto err = check_writable(st);
          for (auto& j : *waiting) j.rp.deliver(send_reply{err, 0, 0, false});
          finish_reload(self);
          return;
        }
        if (!found) {
          metrics::emit(
              st.ctx->log, "error", "dedup_read_failed",
              {{"conv_id", st.conv_id}, {"error", found.err().message}});
          auto err = internal_error(found.err().message);
          for (auto& j : *waiting) j.rp.deliver(send_reply{err, 0, 0, false});
        } else {
          accept(self, *waiting, *found);
        }
        pump(self);
      });
}

// Checks a send and queues it for the next write (pump), or answers it.
void queue_send(conv_self self, send_request req, send_answer rp) {
  auto& st = self->state;
  st.last_activity_ms = now_ms();
  if (auto err = check_member(st, req.sender); !err.ok()) {
    rp.deliver(send_reply{err, 0, 0, false});
    return;
  }
  if (req.body.size() > st.ctx->lim.max_body) {
    rp.deliver(send_reply{
        {proto_code::too_large, "body is over max_body (" +
                                    std::to_string(st.ctx->lim.max_body) +
                                    " bytes)"},
        0,
        0,
        false});
    return;
  }
  if (auto err = check_writable(st); !err.ok()) {
    rp.deliver(send_reply{err, 0, 0, false});
    return;
  }
  auto key = dedup_key(req.sender, req.client_msg_id);
  st.sends.push(send_job{std::move(req), std::move(rp), std::move(key)});
}

}  // namespace

void do_send(conv_self self, send_request req, send_answer rp) {
  queue_send(self, std::move(req), std::move(rp));
  pump(self);
}

void do_sends(conv_self self, std::vector<send_request> reqs,
              std::vector<send_answer> answers) {
  for (std::size_t i = 0; i < reqs.size() && i < answers.size(); ++i)
    queue_send(self, std::move(reqs[i]), std::move(answers[i]));
  pump(self);
}

}  // namespace switchboard::actors::detail
