#include "actors/conversation_actor.hpp"

#include <algorithm>
#include <memory>
#include <set>

#include "actors/blocking.hpp"
#include "actors/budget_check.hpp"
#include "actors/conversation_ops.hpp"
#include "actors/directory.hpp"
#include "actors/events.hpp"
#include "metrics/log_sink.hpp"
#include "storage/store.hpp"

namespace switchboard::actors {

namespace {

using detail::conv_self;
using phase = conversation_state::phase;

struct loaded {
  std::uint64_t generation = 0;  // the store's, read before anything else
  std::optional<storage::conversation_meta> meta;
  std::vector<storage::member_entry> members;
  std::optional<storage::conversation_log> log;
};

storage::result<loaded> load(storage::store& s, const std::string& conv) {
  loaded out;
  // Read first: a failure after it fences this state's writes.
  out.generation = s.health().generation;
  auto meta = s.conversation(conv);
  if (!meta) return meta.err();
  out.meta = std::move(*meta);
  if (out.meta) {
    auto ms = s.members(conv);
    if (!ms) return ms.err();
    out.members = std::move(*ms);
  }
  auto log = storage::conversation_log::open(s, conv);
  if (!log) return log.err();
  out.log.emplace(std::move(*log));
  return out;
}

void run_waiting(conv_self self) {
  auto waiting = std::move(self->state.waiting);
  self->state.waiting.clear();
  for (auto& w : waiting) w();
}

bool busy(const conversation_state& st) {
  if (st.reloading) return true;  // finish_reload passivates
  return !st.queued.empty() || st.lookup_in_flight || st.writes_in_flight > 0 ||
         !st.cursor_dirty.empty() || !st.dup_waiting.empty() ||
         !st.waiting.empty() || st.ph == phase::loading ||
         st.ph == phase::creating;
}

void passivate(conv_self self) {
  self->state.ctx->dir->forget_conversation(self->state.conv_id,
                                            self->address());
  self->quit();
}

void arm_idle_timer(conv_self self) {
  self->delayed_send(self, self->state.ctx->lim.idle_actor, timeout_atom::value,
                     std::uint64_t{0});
}

void create_here(conv_self self, create_request req, detail::inbox_here here,
                 caf::typed_response_promise<create_reply> rp);

void do_create(conv_self self, create_request req,
               caf::typed_response_promise<create_reply> rp) {
  auto& st = self->state;
  st.last_activity_ms = now_ms();
  if (st.ph == phase::failed) {
    rp.deliver(
        create_reply{detail::internal_error("load failed"), {}, {}, {}, false});
    return;
  }
  if (st.ph == phase::ready) {
    if (st.meta.kind != req.kind ||
        std::find(req.members.begin(), req.members.end(), req.creator) ==
            req.members.end()) {
      rp.deliver(
          create_reply{detail::internal_error("conversation id collision"),
                       {},
                       {},
                       {},
                       false});
      return;
    }
    rp.deliver(create_reply{
        {}, st.conv_id, st.meta.kind, detail::member_ids(st), true});
    return;
  }
  if (auto err = detail::check_writable(st); !err.ok()) {
    rp.deliver(create_reply{err, {}, {}, {}, false});
    return;
  }
  // Missing: this request creates it, members' inbox entries first.
  st.ph = phase::creating;
  auto members = req.members;
  detail::write_inbox_elsewhere(
      self, members, {},
      [self, req = std::move(req), rp](proto_error err,
                                       detail::inbox_here here) mutable {
        if (!err.ok()) {
          self->state.ph = phase::missing;
          rp.deliver(create_reply{err, {}, {}, {}, false});
          run_waiting(self);
          return;
        }
        create_here(self, std::move(req), std::move(here), std::move(rp));
      });
}

void create_here(conv_self self, create_request req, detail::inbox_here here,
                 caf::typed_response_promise<create_reply> rp) {
  auto& st = self->state;
  auto now = now_ms();
  storage::conversation_meta meta{req.kind, req.title, req.creator, now};
  storage::batch b;
  b.put_conversation(st.conv_id, meta);
  for (auto& m : req.members)
    b.put_member(st.conv_id, m, storage::member_state{0, 0, now});
  for (auto& m : here.add) b.put_inbox(m, st.conv_id);
  detail::commit_then(
      self, std::move(b), [=](const storage::status& s) mutable {
        auto& st = self->state;
        if (!s) {
          st.ph = phase::missing;
          rp.deliver(create_reply{
              detail::storage_unavailable(s.err().message), {}, {}, {}, false});
          run_waiting(self);
          return;
        }
        st.ph = phase::ready;
        st.meta = meta;
        for (auto& m : req.members)
          st.members[m] = storage::member_state{0, 0, now};
        auto ids = detail::member_ids(st);
        rp.deliver(create_reply{{}, st.conv_id, req.kind, ids, false});
        detail::broadcast(self, ids, events::members(st.conv_id, ids, {}),
                          {req.creator, req.origin_session});
        run_waiting(self);
      });
}

void change_members(conv_self self, std::vector<std::string> added,
                    std::vector<std::string> removed, detail::inbox_here here,
                    caf::typed_response_promise<proto_error> rp);

void do_members(conv_self self, members_request req,
                caf::typed_response_promise<proto_error> rp) {
  auto& st = self->state;
  st.last_activity_ms = now_ms();
  // Membership first: a non-member must not learn the kind of a
  // conversation (or that it exists) from a bad_request.
  if (auto err = detail::check_member(st, req.user);
      !err.ok() && !(req.admin && st.ph == phase::ready)) {
    rp.deliver(err);
    return;
  }
  if (st.meta.kind == "direct") {
    rp.deliver(
        proto_error{"bad_request", "a direct conversation has fixed members"});
    return;
  }
  if (!req.admin)
    if (auto err = over_budget(*st.ctx, request_kind::members, req.user,
                               static_cast<double>(std::max<std::size_t>(
                                   1, req.add.size() + req.remove.size())));
        !err.ok()) {
      rp.deliver(err);
      return;
    }
  for (auto& r : req.remove) {
    if (!req.admin && r != req.user && req.user != st.meta.creator) {
      rp.deliver(
          proto_error{"forbidden", "only the creator may remove others"});
      return;
    }
  }
  std::vector<std::string> added, removed;
  for (auto& a : req.add)
    if (!st.members.count(a) &&
        std::find(req.remove.begin(), req.remove.end(), a) == req.remove.end())
      added.push_back(a);
  for (auto& r : req.remove)
    if (st.members.count(r)) removed.push_back(r);
  if (added.empty() && removed.empty()) {
    rp.deliver(proto_error{});
    return;
  }
  if (auto err = detail::check_writable(st); !err.ok()) {
    rp.deliver(err);
    return;
  }
  if (st.members.size() + added.size() - removed.size() >
      st.ctx->lim.max_members) {
    rp.deliver(
        proto_error{"bad_request", "a conversation has at most " +
                                       std::to_string(st.ctx->lim.max_members) +
                                       " members"});
    return;
  }
  // Added members' inbox entries first, elsewhere; removed ones' after.
  detail::write_inbox_elsewhere(
      self, added, {},
      [self, added, removed, rp](proto_error err,
                                 detail::inbox_here here) mutable {
        if (!err.ok()) {
          rp.deliver(err);
          return;
        }
        change_members(self, std::move(added), std::move(removed),
                       std::move(here), std::move(rp));
      });
}

void change_members(conv_self self, std::vector<std::string> added,
                    std::vector<std::string> removed, detail::inbox_here here,
                    caf::typed_response_promise<proto_error> rp) {
  auto& st = self->state;
  // The members may have changed while the entries were written.
  added.erase(std::remove_if(added.begin(), added.end(),
                             [&](const std::string& a) {
                               return st.members.count(a) != 0;
                             }),
              added.end());
  removed.erase(std::remove_if(removed.begin(), removed.end(),
                               [&](const std::string& r) {
                                 return st.members.count(r) == 0;
                               }),
                removed.end());
  if (added.empty() && removed.empty()) {
    rp.deliver(proto_error{});
    return;
  }
  if (auto err = detail::check_writable(st); !err.ok()) {
    rp.deliver(err);
    return;
  }
  // Everyone who was or now is a member hears of the change.
  auto audience = detail::member_ids(st);
  audience.insert(audience.end(), added.begin(), added.end());
  auto now = now_ms();
  storage::batch b;
  for (auto& a : added) {
    st.members[a] = storage::member_state{0, 0, now};
    b.put_member(st.conv_id, a, st.members[a]);
  }
  for (auto& a : here.add)
    if (std::find(added.begin(), added.end(), a) != added.end())
      b.put_inbox(a, st.conv_id);
  std::vector<std::string> removed_elsewhere;
  for (auto& r : removed) {
    st.members.erase(r);
    b.erase_member(st.conv_id, r);
    if (st.ctx->dir->is_local(r))
      b.erase_inbox(r, st.conv_id);
    else
      removed_elsewhere.push_back(r);
  }
  detail::commit_then(
      self, std::move(b), [=](const storage::status& s) mutable {
        if (!s) {
          // The actor reloads its members from the store (reloading).
          rp.deliver(detail::storage_unavailable(s.err().message));
          return;
        }
        detail::broadcast(self, audience,
                          events::members(self->state.conv_id, added, removed),
                          detail::origin{});
        rp.deliver(proto_error{});
        if (removed_elsewhere.empty()) return;
        // A stray entry left by a failure here is filtered when read.
        detail::write_inbox_elsewhere(
            self, {}, removed_elsewhere,
            [self](proto_error err, detail::inbox_here) {
              if (!err.ok())
                metrics::emit(self->state.ctx->log, "warn",
                              "inbox_entry_not_erased",
                              {{"conv_id", self->state.conv_id},
                               {"error", err.message}});
            });
      });
}

}  // namespace

conversation_actor::behavior_type conversation(
    conversation_actor::stateful_pointer<conversation_state> self,
    std::string conv_id, node_context* ctx) {
  auto& st = self->state;
  st.conv_id = conv_id;
  st.ctx = ctx;
  st.last_activity_ms = now_ms();
  run_blocking(
      self, *ctx->pool,
      [store = ctx->store, conv_id] { return load(*store, conv_id); },
      [self](storage::result<loaded> r) {
        auto& st = self->state;
        if (!r) {
          st.ph = phase::failed;
          metrics::emit(st.ctx->log, "error", "conversation_load_failed",
                        {{"conv_id", st.conv_id}, {"error", r.err().message}});
        } else {
          st.store_generation = r->generation;
          st.log = std::move(r->log);
          st.durable_upto = st.log->last_msg_id();
          if (r->meta) {
            st.meta = std::move(*r->meta);
            for (auto& m : r->members) st.members[m.user_id] = m.state;
            st.ph = phase::ready;
          } else {
            st.ph = phase::missing;
          }
        }
        run_waiting(self);
        // Nothing to keep for an unknown id, nor after a failed load.
        if ((st.ph == phase::missing || st.ph == phase::failed) && !busy(st))
          passivate(self);
      });
  arm_idle_timer(self);
  return {
      [self](create_atom, create_request& req) -> caf::result<create_reply> {
        auto rp = self->make_response_promise<create_reply>();
        detail::when_ready(self, [self, req = std::move(req), rp]() mutable {
          do_create(self, std::move(req), rp);
        });
        return rp;
      },
      [self](send_atom, send_request& req) -> caf::result<send_reply> {
        auto rp = self->make_response_promise<send_reply>();
        detail::when_ready(self, [self, req = std::move(req), rp]() mutable {
          detail::do_send(self, std::move(req), rp);
        });
        return rp;
      },
      [self](sync_atom, sync_request& req) -> caf::result<history_reply> {
        auto rp = self->make_response_promise<history_reply>();
        detail::when_ready(self, [self, req = std::move(req), rp]() mutable {
          detail::do_sync(self, std::move(req), rp);
        });
        return rp;
      },
      [self](cursor_atom, cursor_request& req) -> caf::result<proto_error> {
        auto rp = self->make_response_promise<proto_error>();
        detail::when_ready(self, [self, req = std::move(req), rp]() mutable {
          detail::do_cursor(self, std::move(req), rp);
        });
        return rp;
      },
      [self](typing_atom, std::string& user) -> caf::result<proto_error> {
        auto rp = self->make_response_promise<proto_error>();
        detail::when_ready(self, [self, user = std::move(user), rp]() mutable {
          detail::do_typing(self, std::move(user), rp);
        });
        return rp;
      },
      [self](members_atom, members_request& req) -> caf::result<proto_error> {
        auto rp = self->make_response_promise<proto_error>();
        detail::when_ready(self, [self, req = std::move(req), rp]() mutable {
          do_members(self, std::move(req), rp);
        });
        return rp;
      },
      [](continue_atom, continuation& c) { c.fn(); },
      [self](timeout_atom, std::uint64_t) {
        auto& st = self->state;
        bool idle = idle_long_enough(*st.ctx, st.last_activity_ms);
        if (idle && !busy(st)) {
          passivate(self);
          return;
        }
        arm_idle_timer(self);
      },
  };
}

}  // namespace switchboard::actors
