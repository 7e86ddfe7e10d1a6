#include <algorithm>
#include <limits>
#include <memory>

#include "actors/blocking.hpp"
#include "actors/budget_check.hpp"
#include "actors/conversation_ops.hpp"
#include "actors/events.hpp"
#include "metrics/log_sink.hpp"
#include "metrics/metrics.hpp"
#include "push/service.hpp"
#include "storage/store.hpp"

namespace switchboard::actors::detail {

namespace {

chat_message to_chat(const std::string& conv, storage::message&& m) {
  return chat_message{conv,
                      m.msg_id,
                      std::move(m.sender),
                      std::move(m.body),
                      m.ts_ms,
                      std::move(m.client_msg_id)};
}

}  // namespace

void do_sync(conv_self self, sync_request req,
             caf::typed_response_promise<history_reply> rp) {
  auto& st = self->state;
  st.last_activity_ms = now_ms();
  if (auto err = check_member(st, req.user); !err.ok()) {
    rp.deliver(history_reply{err, {}, false});
    return;
  }
  if (auto err = over_budget(*st.ctx, request_kind::sync, req.user);
      !err.ok()) {
    rp.deliver(history_reply{err, {}, false});
    return;
  }
  // Only acknowledged messages are history: the store may already hold a
  // group whose WAL sync has not finished.
  std::uint64_t cap = st.durable_upto;
  run_blocking(
      self, *st.ctx->pool,
      [store = st.ctx->store, conv = st.conv_id, req, cap] {
        if (req.has_after) return store->read_after(conv, req.after, req.limit);
        if (req.before > 0) {
          auto before = std::min<std::uint64_t>(req.before, cap + 1);
          return store->read_before(conv, before, req.limit);
        }
        return store->read_before(conv, cap + 1, req.limit);
      },
      [self, req, cap, rp](storage::result<storage::page> pg) mutable {
        auto& st = self->state;
        if (!pg) {
          metrics::emit(st.ctx->log, "error", "history_read_failed",
                        {{"conv_id", st.conv_id}, {"error", pg.err().message}});
          rp.deliver(
              history_reply{internal_error(pg.err().message), {}, false});
          return;
        }
        history_reply out;
        out.has_more = pg->has_more;
        for (auto& m : pg->messages) {
          if (m.msg_id > cap) {
            out.has_more = false;  // the rest arrives live once durable
            break;
          }
          out.messages.push_back(to_chat(st.conv_id, std::move(m)));
        }
        rp.deliver(std::move(out));
      });
}

namespace {

// Writes every moved cursor in one batch, then sends the receipts of the
// updates it covers and answers them. One write in flight per conversation.
void flush_cursors(conv_self self) {
  auto& st = self->state;
  auto next = st.cursors.next();
  if (!next) return;
  storage::batch b;
  for (auto& user : next->users)
    if (auto it = st.members.find(user); it != st.members.end())
      b.put_member(st.conv_id, user, it->second);
  // Its receipts may come a moment later: it shares a message's fsync
  // rather than costing one of its own (docs/benchmarks.md).
  b.linger(st.ctx->lim.cursor_linger);
  auto waiters =
      std::make_shared<std::vector<conversation_state::cursor_waiter>>(
          std::move(next->waiters));
  commit_then(self, std::move(b), [self, waiters](const storage::status& s) {
    auto& st = self->state;
    st.cursors.finished();
    for (auto& w : *waiters) {
      if (!s) {
        // The actor reloads the cursors from the store (reloading).
        w.rp.deliver(storage_unavailable(s.err().message));
        continue;
      }
      for (auto& r : w.receipts)
        // In a channel a receipt goes to the reader's own devices only:
        // every member's ack told to every member is N^2 traffic.
        if (st.channel)
          broadcast(self, {w.user}, r, {w.user, w.origin_session});
        else
          broadcast_members(self, r, {w.user, w.origin_session});
      w.rp.deliver(proto_error{});
      // Once durable: a device has the messages up to there, so no push
      // for them; a read clears what was shown (the badge is computed from
      // the stored cursors).
      push_cursor(self, w.user, w.delivered, w.read);
    }
    if (!st.reloading && s) flush_cursors(self);
  });
}

}  // namespace

void do_cursor(conv_self self, cursor_request req,
               caf::typed_response_promise<proto_error> rp) {
  auto& st = self->state;
  st.last_activity_ms = now_ms();
  if (auto err = check_member(st, req.user); !err.ok()) {
    rp.deliver(err);
    return;
  }
  if (auto err = over_budget(*st.ctx, request_kind::cursor, req.user);
      !err.ok()) {
    rp.deliver(err);
    return;
  }
  if (auto err = check_writable(st); !err.ok()) {
    rp.deliver(err);
    return;
  }
  auto& ms = st.members[req.user];
  auto moved = move_cursor(ms, req.msg_id, req.read, st.durable_upto);
  if (!moved.moved()) {
    rp.deliver(proto_error{});
    return;
  }
  conversation_state::cursor_waiter w{rp, {}, req.user, req.origin_session};
  if (moved.delivered)
    w.receipts.push_back(
        events::receipt(st.conv_id, req.user, false, *moved.delivered));
  if (moved.read)
    w.receipts.push_back(
        events::receipt(st.conv_id, req.user, true, *moved.read));
  // A device has the messages up to there: no push for them; a read clears
  // what was shown of the conversation.
  w.read = req.read;
  w.delivered = ms.delivered_upto;
  st.cursors.add(req.user, std::move(w));
  flush_cursors(self);
}

void do_cursors(conv_self self, cursors_request req,
                caf::typed_response_promise<cursors_reply> rp) {
  auto& st = self->state;
  st.last_activity_ms = now_ms();
  cursors_reply out;
  if (auto err = check_member(st, req.user); !err.ok()) {
    out.err = err;
    rp.deliver(std::move(out));
    return;
  }
  if (auto err = over_budget(*st.ctx, request_kind::sync, req.user);
      !err.ok()) {
    out.err = err;
    rp.deliver(std::move(out));
    return;
  }
  for (auto& u : req.user_ids) {
    auto it = st.members.find(u);
    if (it == st.members.end()) continue;
    out.users.push_back(u);
    out.delivered.push_back(it->second.delivered_upto);
    out.read.push_back(it->second.read_upto);
  }
  rp.deliver(std::move(out));
}

void do_typing(conv_self self, std::string user,
               caf::typed_response_promise<proto_error> rp) {
  auto& st = self->state;
  st.last_activity_ms = now_ms();
  if (auto err = check_member(st, user); !err.ok()) {
    rp.deliver(err);
    return;
  }
  if (auto err = over_budget(*st.ctx, request_kind::typing, user); !err.ok()) {
    rp.deliver(err);
    return;
  }
  // Typing is a hint: one event per user and conversation per interval is
  // all the others need; the rest are dropped without an error.
  auto now = now_ms();
  auto& last = st.typing_at[user];
  if (last != 0 && now - last < st.ctx->lim.typing_interval_ms) {
    st.ctx->metrics->limit_hit("typing_throttled");
    rp.deliver(proto_error{});
    return;
  }
  // A channel's members see a few typing events per interval, whoever
  // types: hundreds typing at once must not cost every member hundreds.
  if (!channel_typing_allowed(self)) {
    st.ctx->metrics->limit_hit("channel_typing");
    rp.deliver(proto_error{});
    return;
  }
  last = now;
  broadcast_members(self, events::typing(st.conv_id, user), origin{}, user);
  rp.deliver(proto_error{});
}

}  // namespace switchboard::actors::detail
