#include <algorithm>
#include <limits>
#include <memory>

#include "actors/blocking.hpp"
#include "actors/conversation_ops.hpp"
#include "actors/events.hpp"
#include "storage/store.hpp"

namespace switchboard::actors::detail {

namespace {

chat_message to_chat(const std::string& conv, storage::message&& m) {
  return chat_message{conv, m.msg_id, std::move(m.sender), std::move(m.body),
                      m.ts_ms, std::move(m.client_msg_id)};
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
          rp.deliver(history_reply{internal_error(pg.err().message), {}, false});
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

void do_cursor(conv_self self, cursor_request req,
               caf::typed_response_promise<proto_error> rp) {
  auto& st = self->state;
  st.last_activity_ms = now_ms();
  if (auto err = check_member(st, req.user); !err.ok()) {
    rp.deliver(err);
    return;
  }
  auto& ms = st.members[req.user];
  // Cumulative, and a msg_id past the last counts as the last.
  auto target = std::min(req.msg_id, st.durable_upto);
  bool delivered_moved = false, read_moved = false;
  if (req.read && target > ms.read_upto) {
    ms.read_upto = target;
    read_moved = true;
  }
  auto delivered = req.read ? ms.read_upto : target;
  if (delivered > ms.delivered_upto) {
    ms.delivered_upto = delivered;
    delivered_moved = true;
  }
  if (!delivered_moved && !read_moved) {
    rp.deliver(proto_error{});
    return;
  }
  storage::batch b;
  b.put_member(st.conv_id, req.user, ms);
  ++st.writes_in_flight;
  auto handle = caf::actor_cast<caf::actor>(self);
  auto state_now = ms;
  st.ctx->store->commit(std::move(b), [=](const storage::status& s) mutable {
    post_to(handle, [=]() mutable {
      auto& st = self->state;
      --st.writes_in_flight;
      if (!s) {
        rp.deliver(internal_error(s.err().message));
        return;
      }
      auto members = member_ids(st);
      if (delivered_moved)
        broadcast(self, members,
                  events::receipt(st.conv_id, req.user, false, state_now.delivered_upto),
                  req.origin_session);
      if (read_moved)
        broadcast(self, members,
                  events::receipt(st.conv_id, req.user, true, state_now.read_upto),
                  req.origin_session);
      rp.deliver(proto_error{});
    });
  });
}

void do_typing(conv_self self, std::string user,
               caf::typed_response_promise<proto_error> rp) {
  auto& st = self->state;
  st.last_activity_ms = now_ms();
  if (auto err = check_member(st, user); !err.ok()) {
    rp.deliver(err);
    return;
  }
  broadcast(self, member_ids(st), events::typing(st.conv_id, user), {}, user);
  rp.deliver(proto_error{});
}

}  // namespace switchboard::actors::detail
