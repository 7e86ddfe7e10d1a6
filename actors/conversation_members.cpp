#include <algorithm>

#include "actors/budget_check.hpp"
#include "actors/conversation_ops.hpp"
#include "actors/directory.hpp"
#include "actors/events.hpp"
#include "metrics/log_sink.hpp"

// The conversation actor's membership: creating a conversation and
// changing its members, with the members' inbox entries (which live with
// each user's shard, possibly on other nodes: written first, erased last).
namespace switchboard::actors::detail {

using phase = conversation_state::phase;

static void create_here(conv_self self, create_request req, inbox_here here,
                        caf::typed_response_promise<create_reply> rp);

void do_create(conv_self self, create_request req,
               caf::typed_response_promise<create_reply> rp) {
  auto& st = self->state;
  st.last_activity_ms = now_ms();
  if (st.ph == phase::failed) {
    rp.deliver(create_reply{internal_error("load failed"), {}, {}, {}, false});
    return;
  }
  if (st.ph == phase::ready) {
    if (st.meta.kind != req.kind ||
        std::find(req.members.begin(), req.members.end(), req.creator) ==
            req.members.end()) {
      rp.deliver(create_reply{
          internal_error("conversation id collision"), {}, {}, {}, false});
      return;
    }
    rp.deliver(
        create_reply{{}, st.conv_id, st.meta.kind, member_ids(st), true});
    return;
  }
  if (auto err = check_writable(st); !err.ok()) {
    rp.deliver(create_reply{err, {}, {}, {}, false});
    return;
  }
  // Missing: this request creates it, members' inbox entries first.
  st.ph = phase::creating;
  auto members = req.members;
  write_inbox_elsewhere(self, members, {},
                        [self, req = std::move(req), rp](
                            proto_error err, inbox_here here) mutable {
                          if (!err.ok()) {
                            self->state.ph = phase::missing;
                            rp.deliver(create_reply{err, {}, {}, {}, false});
                            run_waiting(self);
                            return;
                          }
                          create_here(self, std::move(req), std::move(here),
                                      std::move(rp));
                        });
}

static void create_here(conv_self self, create_request req, inbox_here here,
                        caf::typed_response_promise<create_reply> rp) {
  auto& st = self->state;
  auto now = now_ms();
  storage::conversation_meta meta{req.kind, req.title, req.creator, now};
  storage::batch b;
  b.put_conversation(st.conv_id, meta);
  for (auto& m : req.members)
    b.put_member(st.conv_id, m, storage::member_state{0, 0, now});
  for (auto& m : here.add) b.put_inbox(m, st.conv_id);
  // The entries of this node's users are written outside their shard's
  // actors: admitted only while the shard is here and not moving away.
  if (!st.ctx->dir->enter_writes(here.add)) {
    st.ph = phase::missing;
    rp.deliver(create_reply{
        proto_error{proto_code::unavailable,
                    "a member's shard is moving; retry", store_retry_after_ms},
        {},
        {},
        {},
        false});
    run_waiting(self);
    return;
  }
  commit_then(self, std::move(b), [=](const storage::status& s) mutable {
    auto& st = self->state;
    st.ctx->dir->leave_writes(here.add);
    if (!s) {
      st.ph = phase::missing;
      rp.deliver(create_reply{
          storage_unavailable(s.err().message), {}, {}, {}, false});
      run_waiting(self);
      return;
    }
    st.ph = phase::ready;
    st.meta = meta;
    for (auto& m : req.members)
      st.members[m] = storage::member_state{0, 0, now};
    auto ids = member_ids(st);
    rp.deliver(create_reply{{}, st.conv_id, req.kind, ids, false});
    broadcast(self, ids, events::members(st.conv_id, ids, {}),
              {req.creator, req.origin_session});
    // Members who had subscribed to each other's presence as strangers
    // now see it.
    tell_sharing_changed(self, ids, ids);
    channel_members_changed(self, {}, {});
    run_waiting(self);
  });
}

static void change_members(conv_self self, std::vector<std::string> added,
                           std::vector<std::string> removed, inbox_here here,
                           caf::typed_response_promise<proto_error> rp);

// The next change of members that waited, if any.
static void members_done(conv_self self) {
  auto& st = self->state;
  st.members_busy = false;
  if (st.members_waiting.empty()) return;
  auto next = std::move(st.members_waiting.front());
  st.members_waiting.pop_front();
  next();
}

void do_members(conv_self self, members_request req,
                caf::typed_response_promise<proto_error> rp) {
  auto& st = self->state;
  if (st.members_busy) {
    st.members_waiting.emplace_back([self, req = std::move(req), rp]() mutable {
      do_members(self, std::move(req), std::move(rp));
    });
    return;
  }
  st.last_activity_ms = now_ms();
  // Membership first: a non-member must not learn the kind of a
  // conversation (or that it exists) from a bad_request.
  if (auto err = check_member(st, req.user);
      !err.ok() && !(req.admin && st.ph == phase::ready)) {
    rp.deliver(err);
    return;
  }
  if (st.meta.kind == "direct") {
    rp.deliver(proto_error{proto_code::bad_request,
                           "a direct conversation has fixed members"});
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
      rp.deliver(proto_error{proto_code::forbidden,
                             "only the creator may remove others"});
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
  // Added members' inbox entries first, elsewhere; removed ones' after.
  st.members_busy = true;
  write_inbox_elsewhere(
      self, added, {},
      [self, added, removed, rp](proto_error err, inbox_here here) mutable {
        if (!err.ok()) {
          rp.deliver(err);
          members_done(self);
          return;
        }
        change_members(self, std::move(added), std::move(removed),
                       std::move(here), std::move(rp));
      });
}

static void change_members(conv_self self, std::vector<std::string> added,
                           std::vector<std::string> removed, inbox_here here,
                           caf::typed_response_promise<proto_error> rp) {
  auto& st = self->state;
  auto fail = [&](proto_error e) {
    rp.deliver(std::move(e));
    members_done(self);
  };
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
  if (added.empty() && removed.empty()) return fail(proto_error{});
  if (auto err = check_writable(st); !err.ok()) return fail(err);
  if (st.members.size() + added.size() - removed.size() >
      st.ctx->lim.max_members)
    return fail(proto_error{proto_code::bad_request,
                            "a conversation has at most " +
                                std::to_string(st.ctx->lim.max_members) +
                                " members"});
  // The inbox entries written here, outside their users' actors: admitted
  // only while those users' shards are here and not moving away.
  std::vector<std::string> add_here, remove_here, remove_elsewhere;
  for (auto& a : here.add)
    if (std::find(added.begin(), added.end(), a) != added.end())
      add_here.push_back(a);
  for (auto& r : removed)
    (st.ctx->dir->is_local(r) ? remove_here : remove_elsewhere).push_back(r);
  auto gated = add_here;
  gated.insert(gated.end(), remove_here.begin(), remove_here.end());
  if (!st.ctx->dir->enter_writes(gated))
    return fail(proto_error{proto_code::unavailable,
                            "a member's shard is moving; retry",
                            store_retry_after_ms});
  // Everyone who was or now is a member hears of the change (in a
  // channel, those of them who are online).
  std::vector<std::string> audience;
  for_each_recipient(st, [&](const std::string& u) { audience.push_back(u); });
  audience.insert(audience.end(), added.begin(), added.end());
  auto now = now_ms();
  storage::batch b;
  for (auto& a : added) {
    st.members[a] = storage::member_state{0, 0, now};
    b.put_member(st.conv_id, a, st.members[a]);
  }
  for (auto& a : add_here) b.put_inbox(a, st.conv_id);
  for (auto& r : removed) {
    st.members.erase(r);
    b.erase_member(st.conv_id, r);
  }
  for (auto& r : remove_here) b.erase_inbox(r, st.conv_id);
  // A channel delivers as its members are now: the added from here on, the
  // removed no more (a failed write reloads the actor, channel and all).
  channel_members_changed(self, added, removed);
  commit_then(self, std::move(b), [=](const storage::status& s) mutable {
    self->state.ctx->dir->leave_writes(gated);
    if (!s) {
      // The actor reloads its members from the store (reloading).
      rp.deliver(storage_unavailable(s.err().message));
      members_done(self);
      return;
    }
    broadcast(self, audience,
              events::members(self->state.conv_id, added, removed), origin{});
    rp.deliver(proto_error{});
    // Presence follows the inbox entries (presence_policy.hpp): checked
    // again once those of the removed are gone everywhere.
    auto changed = added;
    changed.insert(changed.end(), removed.begin(), removed.end());
    auto done = [self, audience, changed] {
      tell_sharing_changed(self, audience, changed);
      members_done(self);
    };
    if (remove_elsewhere.empty()) return done();
    // A stray entry left by a failure here is filtered when read.
    write_inbox_elsewhere(
        self, {}, remove_elsewhere, [self, done](proto_error err, inbox_here) {
          if (!err.ok())
            metrics::emit(
                self->state.ctx->log, "warn", "inbox_entry_not_erased",
                {{"conv_id", self->state.conv_id}, {"error", err.message}});
          done();
        });
  });
}

void run_waiting(conv_self self) {
  auto waiting = std::move(self->state.waiting);
  self->state.waiting.clear();
  for (auto& w : waiting) w();
}

}  // namespace switchboard::actors::detail
