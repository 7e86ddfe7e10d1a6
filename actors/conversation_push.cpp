// A conversation's side of push notifications (docs/push.md): the burst of
// messages since the last push is a job in the outbox, written with them;
// when its grace ends, each member but the sender whose cursors do not
// cover the newest message gets a job of its own (push/service.hpp sends
// those), in one write that also erases the burst.

#include <algorithm>

#include "actors/conversation_ops.hpp"
#include "metrics/log_sink.hpp"
#include "metrics/metrics.hpp"
#include "push/service.hpp"

namespace switchboard::actors::detail {

namespace {

// The grace timer's tag (timeout_atom).
constexpr std::uint64_t push_due_tag = 2;

bool pushes(const conversation_state& st) {
  // A channel sends no per-message pushes: its members pull.
  return st.ctx->push && st.members.size() > 1 &&
         st.members.size() <= st.ctx->lim.fanout_threshold;
}

void arm(conv_self self) {
  auto& st = self->state;
  if (!st.push_burst || st.push_timer_armed) return;
  st.push_timer_armed = true;
  auto due = st.push_burst->job.created_ms + st.ctx->push->grace().count();
  auto wait = std::max<std::int64_t>(0, due - now_ms());
  self->delayed_send(self, std::chrono::milliseconds(wait), timeout_atom::value,
                     push_due_tag);
}

}  // namespace

bool is_push_due(std::uint64_t tag) { return tag == push_due_tag; }

void note_burst(conv_self self, storage::batch& b, const chat_message& newest) {
  auto& st = self->state;
  if (!pushes(st)) return;
  if (!st.push_burst) {
    storage::push_entry e;
    e.seq = st.ctx->store->next_push_seq();
    e.job.conv_id = st.conv_id;
    e.job.created_ms = now_ms();
    st.push_burst = std::move(e);
  }
  auto& j = st.push_burst->job;
  j.msg_id = newest.msg_id;
  j.sender = newest.sender;
  b.put_push_job(st.push_burst->seq, j);
}

void burst_written(conv_self self) { arm(self); }

void adopt_burst(conv_self self, storage::push_entry e) {
  auto& st = self->state;
  if (!st.ctx->push) return;
  if (st.push_burst && st.push_burst->seq != e.seq) {
    // A newer burst began already: the old one is only erased.
    storage::batch b;
    b.erase_push_job(st.conv_id, e.seq);
    commit_then(self, std::move(b), [](const storage::status&) {});
    return;
  }
  st.push_burst = std::move(e);
  arm(self);
}

void burst_due(conv_self self) {
  auto& st = self->state;
  st.push_timer_armed = false;
  if (!st.push_burst || !st.ctx->push) return;
  auto due = std::move(*st.push_burst);
  st.push_burst.reset();  // the next message begins a new burst
  st.ctx->metrics->push_bursts.inc();
  storage::batch b;
  b.erase_push_job(st.conv_id, due.seq);
  auto jobs = std::make_shared<std::vector<storage::push_entry>>();
  for (auto& [user, ms] : st.members) {
    if (user == due.job.sender ||
        std::max(ms.delivered_upto, ms.read_upto) >= due.job.msg_id)
      continue;  // it sent the message, or a device of it has it
    storage::push_entry e;
    e.seq = st.ctx->push->slot(user, st.conv_id);
    e.job = due.job;
    e.job.user_id = user;
    b.put_push_job(e.seq, e.job);
    jobs->push_back(std::move(e));
  }
  commit_then(
      self, std::move(b), [self, jobs, due](const storage::status& s) mutable {
        auto& st = self->state;
        if (s) {
          st.ctx->push->handed(*jobs);
          return;
        }
        metrics::emit(st.ctx->log, "warn", "push_burst_not_handed",
                      {{"conv_id", st.conv_id}, {"error", s.err().message}});
        // Its job is still in the outbox: the next start sends it,
        // or the next burst of this actor replaces it.
        if (!st.push_burst) st.push_burst = std::move(due);
      });
}

}  // namespace switchboard::actors::detail
