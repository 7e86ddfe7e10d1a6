#include "actors/conversation_ops.hpp"

#include <algorithm>

#include "actors/blocking.hpp"
#include "actors/directory.hpp"
#include "actors/stray_delivery.hpp"
#include "metrics/log_sink.hpp"
#include "metrics/metrics.hpp"
#include "storage/store.hpp"

// The helpers every part of the conversation actor uses: errors, the
// commit-then-continue step, readiness, membership, and fan-out.
namespace switchboard::actors {

namespace detail {

proto_error internal_error(const std::string& what) {
  return proto_error{proto_code::internal, "storage error: " + what};
}

namespace {
constexpr const char* reloading_why =
    "the conversation is reloading after a failed write";
}  // namespace

proto_error storage_unavailable(const std::string& what) {
  return proto_error{proto_code::unavailable,
                     "the store cannot write now (" + what + "); retry",
                     store_retry_after_ms};
}

proto_error check_writable(const conversation_state& st) {
  if (st.reloading) return storage_unavailable(reloading_why);
  if (!st.ctx->store->writable())
    return storage_unavailable(st.ctx->store->health().reason);
  return {};
}

void commit_then(conv_self self, storage::batch b,
                 std::function<void(const storage::status&)> then) {
  ++self->state.writes_in_flight;
  b.fence(self->state.store_generation);
  auto handle = caf::actor_cast<caf::actor>(self);
  self->state.ctx->store->commit(std::move(b), [self, handle, then](
                                                   const storage::status& s) {
    post_to(handle, [self, s, then] {
      auto& st = self->state;
      --st.writes_in_flight;
      then(s);
      // Any write of the conversation that replicated proves the earlier
      // ones are on every copy in sync (conversation_state::confirmed).
      if (s) confirm_unconfirmed(self);
      if (!s) {
        if (!st.reloading)
          metrics::emit(st.ctx->log, "warn", "conversation_write_failed",
                        {{"conv_id", st.conv_id}, {"error", s.err().message}});
        st.reloading = true;
      }
      if (st.reloading) finish_reload(self);
    });
  });
}

void confirm_unconfirmed(conv_self self) {
  auto& st = self->state;
  st.confirmed = true;
  for (auto& [job, id] : st.dups.confirm())
    job.rp.deliver(send_reply{{}, id.msg_id, id.ts, true});
}

void finish_reload(conv_self self) {
  auto& st = self->state;
  if (!st.reloading) return;
  auto err = storage_unavailable(reloading_why);
  for (auto& j : st.sends.drop()) j.rp.deliver(send_reply{err, 0, 0, false});
  for (auto& j : st.dups.drop()) j.rp.deliver(send_reply{err, 0, 0, false});
  if (st.writes_in_flight > 0 || st.sends.looking_up() ||
      st.cursors.in_flight())
    return;
  for (auto& w : st.cursors.drop_waiting()) w.rp.deliver(err);
  channel_leave(self);
  st.ctx->dir->forget_conversation(st.conv_id, self->address());
  self->quit();
}

proto_error check_member(const conversation_state& st,
                         const std::string& user) {
  using phase = conversation_state::phase;
  if (st.reloading) return storage_unavailable(reloading_why);
  if (st.ph == phase::failed)
    return internal_error("the conversation could not be loaded");
  // A conversation that does not exist answers as one the caller is not a
  // member of: nobody learns which conversations exist.
  if (st.ph != phase::ready || !st.members.count(user))
    return {proto_code::forbidden, "not a member of this conversation"};
  return {};
}

std::vector<std::string> member_ids(const conversation_state& st) {
  std::vector<std::string> out;
  out.reserve(st.members.size());
  for (auto& [id, _] : st.members) out.push_back(id);
  return out;
}

void add_to_node(users_by_node& nodes, const caf::actor& registry,
                 const std::string& user) {
  auto it = std::find_if(nodes.begin(), nodes.end(),
                         [&](const auto& e) { return e.first == registry; });
  if (it == nodes.end()) it = nodes.insert(nodes.end(), {registry, {}});
  it->second.push_back(user);
}

namespace {

void deliver_here(conv_self self, const std::string& user,
                  const std::string& text, origin from, bool chat_message) {
  // Only users with an active actor have connections; the others catch up
  // from the log (and get a push notification, once that exists).
  std::size_t sessions = 0;
  auto ua = self->state.ctx->dir->find_user(user, &sessions);
  if (!ua) return;
  // The origin's connection has its answer: when it is its user's only
  // one, the user's actor would have nothing to do (a message per event).
  // In a cluster the user's actor also has the user's connections on other
  // nodes, which this count does not see.
  if (!from.session.empty() && user == from.user && sessions <= 1 &&
      !self->state.ctx->dir->clustered())
    return;
  self->send(*ua, deliver_atom::value, text, std::string(from.session),
             chat_message);
}

// Where a delivery to `u` goes from this node (stray_delivery.hpp): `here`
// runs for its actor here, or `u` joins the users of its leader's node in
// `elsewhere`, or those to deliver to on every node in `strays`. Answers
// 1 when its shard has a leader this node reaches (fanout_members).
// `routes`: the directory's (null: a standalone node's), read once per
// event rather than copied per member.
template <class Here>
std::uint64_t place(const std::vector<directory::shard_route>* routes,
                    const std::string& u,
                    std::chrono::steady_clock::time_point now,
                    users_by_node& elsewhere, std::vector<std::string>& strays,
                    Here&& here) {
  const auto& r = directory::route_in(routes, u);
  switch (path_of(r, now)) {
    case delivery_path::actor:
      here();
      break;
    case delivery_path::owner:
      add_to_node(elsewhere, r.registry, u);
      break;
    case delivery_path::everywhere:
      strays.push_back(u);
      break;
  }
  return r.what != directory::shard_route::kind::unavailable ? 1 : 0;
}

// Delivers `text` to each user the range yields (skipping `skip_user`):
// to the actors of this node's users directly, and to the users of each
// other node through its registry, one message per node (docs/ARCHITECTURE.md
// "cluster/": no BASP message per recipient where a batch would do). Users
// whose shard changes hands are delivered to on every node
// (stray_delivery.hpp).
template <class ForEachUser>
void deliver_all(conv_self self, ForEachUser&& each, const std::string& text,
                 origin from, std::string_view skip_user, bool chat_message) {
  users_by_node elsewhere;
  std::vector<std::string> strays;
  std::uint64_t visited = 0;
  auto now = std::chrono::steady_clock::now();
  auto routes = self->state.ctx->dir->routes();
  each([&](const std::string& u) {
    if (u == skip_user) return;
    visited += place(routes.get(), u, now, elsewhere, strays,
                     [&] { deliver_here(self, u, text, from, chat_message); });
  });
  if (chat_message) self->state.ctx->metrics->fanout_members.inc(visited);
  for (auto& [registry, ids] : elsewhere)
    caf::anon_send(registry, deliver_atom::value, std::move(ids), text,
                   std::string(from.session), chat_message);
  if (!strays.empty())
    deliver_everywhere(*self->state.ctx, strays, text,
                       std::string(from.session), chat_message);
}

// The messages of one write to a user of this node, in one message to its
// actor.
void deliver_all_here(conv_self self, const std::string& user,
                      const std::vector<outgoing_message>& messages) {
  std::size_t sessions = 0;
  auto ua = self->state.ctx->dir->find_user(user, &sessions);
  if (!ua) return;
  bool alone = sessions <= 1 && !self->state.ctx->dir->clustered();
  std::vector<std::string> texts, excepts;
  for (auto& m : messages) {
    // As deliver_here: nothing for the origin's only connection.
    if (alone && user == m.sender && !m.origin_session.empty()) continue;
    texts.push_back(m.text);
    excepts.push_back(m.origin_session);
  }
  if (texts.size() == 1)
    self->send(*ua, deliver_atom::value, std::move(texts[0]),
               std::move(excepts[0]), true);
  else if (!texts.empty())
    self->send(*ua, deliver_atom::value, std::move(texts), std::move(excepts));
}

}  // namespace

void broadcast_messages(conv_self self,
                        const std::vector<outgoing_message>& messages) {
  if (messages.empty()) return;
  if (messages.size() == 1) {
    auto& m = messages[0];
    broadcast_members(self, m.text, {m.sender, m.origin_session}, {}, true);
    return;
  }
  users_by_node elsewhere;
  std::vector<std::string> strays;
  std::uint64_t visited = 0;
  auto now = std::chrono::steady_clock::now();
  auto routes = self->state.ctx->dir->routes();
  for_each_recipient(self->state, [&](const std::string& u) {
    visited += place(routes.get(), u, now, elsewhere, strays,
                     [&] { deliver_all_here(self, u, messages); });
  });
  self->state.ctx->metrics->fanout_members.inc(visited);
  if (elsewhere.empty() && strays.empty()) return;
  std::vector<std::string> texts, excepts;
  texts.reserve(messages.size());
  excepts.reserve(messages.size());
  for (auto& m : messages) {
    texts.push_back(m.text);
    excepts.push_back(m.origin_session);
  }
  for (auto& [registry, ids] : elsewhere)
    caf::anon_send(registry, deliver_atom::value, std::move(ids), texts,
                   excepts);
  if (!strays.empty())
    deliver_everywhere(*self->state.ctx, strays, texts, excepts);
}

void broadcast(conv_self self, const std::vector<std::string>& users,
               const std::string& text, origin from, std::string_view skip_user,
               bool chat_message) {
  deliver_all(
      self,
      [&](auto&& fn) {
        for (auto& u : users) fn(u);
      },
      text, from, skip_user, chat_message);
}

void broadcast_members(conv_self self, const std::string& text, origin from,
                       std::string_view skip_user, bool chat_message) {
  deliver_all(
      self, [&](auto&& fn) { for_each_recipient(self->state, fn); }, text, from,
      skip_user, chat_message);
}

void tell_sharing_changed(conv_self self, const std::vector<std::string>& users,
                          const std::vector<std::string>& changed) {
  using kind = directory::shard_route::kind;
  auto* ctx = self->state.ctx;
  if (ctx->lim.presence_all || changed.empty()) return;
  // One message, shared by every local recipient.
  auto m = caf::make_message(revalidate_atom::value, changed);
  users_by_node elsewhere;
  std::size_t unrouted = 0;
  for (auto& u : users) {
    auto r = ctx->dir->route_of(u);
    if (r.what == kind::local) {
      if (auto ua = ctx->dir->find_user(u))
        caf::anon_send(caf::actor_cast<caf::actor>(*ua), m);
    } else if (r.what == kind::remote) {
      add_to_node(elsewhere, r.registry, u);
    } else {
      ++unrouted;
    }
  }
  // Their shard has no owner now (or is moving): their connections wait
  // for its next owner, and check every subscription again once they are
  // registered with it (session_actor's attach).
  if (unrouted > 0)
    metrics::emit(ctx->log, "warn", "presence_recheck_unrouted",
                  {{"conv_id", self->state.conv_id},
                   {"users", std::to_string(unrouted)}});
  for (auto& [registry, ids] : elsewhere)
    caf::anon_send(registry, revalidate_atom::value, std::move(ids), changed);
}

void write_inbox_elsewhere(conv_self self, const std::vector<std::string>& add,
                           const std::vector<std::string>& remove,
                           std::function<void(proto_error, inbox_here)> then) {
  using kind = directory::shard_route::kind;
  struct per_node {
    caf::actor registry;
    std::vector<std::string> add, remove;
  };
  std::vector<per_node> nodes;
  inbox_here here;
  proto_error err;
  auto place = [&](const std::string& u, bool adding) {
    auto r = self->state.ctx->dir->route_of(u);
    if (r.what == kind::local) {
      (adding ? here.add : here.remove).push_back(u);
      return;
    }
    if (r.what == kind::unavailable) {
      if (err.ok())
        err = proto_error{proto_code::unavailable, r.reason, r.retry_after_ms};
      return;
    }
    auto it = std::find_if(nodes.begin(), nodes.end(), [&](const per_node& n) {
      return n.registry == r.registry;
    });
    if (it == nodes.end()) it = nodes.insert(nodes.end(), {r.registry, {}, {}});
    (adding ? it->add : it->remove).push_back(u);
  };
  for (auto& u : add) place(u, true);
  for (auto& u : remove) place(u, false);
  if (!err.ok()) return then(err, std::move(here));
  if (nodes.empty()) return then(proto_error{}, std::move(here));
  auto left = std::make_shared<std::size_t>(nodes.size());
  auto first_error = std::make_shared<proto_error>();
  auto kept = std::make_shared<inbox_here>(std::move(here));
  auto one_done = [left, first_error, kept, then](proto_error e) {
    if (!e.ok() && first_error->ok()) *first_error = std::move(e);
    if (--*left == 0) then(*first_error, std::move(*kept));
  };
  auto* ctx = self->state.ctx;
  for (auto& n : nodes)
    // Half the asker's timeout: its request to this actor may itself have
    // come from another node, and must get this answer, not a timeout.
    self->request(n.registry, ctx->lim.remote_request_timeout / 2,
                  inbox_atom::value, self->state.conv_id, n.add, n.remove)
        .then(
            [one_done](std::string& why) {
              one_done(why.empty() ? proto_error{}
                                   : proto_error{proto_code::unavailable, why,
                                                 store_retry_after_ms});
            },
            [one_done](caf::error&) {
              one_done(proto_error{proto_code::unavailable,
                                   "a member's node did not answer; retry",
                                   store_retry_after_ms});
            });
}

}  // namespace detail

}  // namespace switchboard::actors
