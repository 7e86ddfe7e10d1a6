#include "actors/conversation_channel.hpp"

#include <algorithm>

#include "actors/directory.hpp"
#include "metrics/log_sink.hpp"
#include "metrics/metrics.hpp"
#include "storage/shard.hpp"

// (What it knows of each member: conversation_channel_roster.cpp.)
//
// A conversation with more members than the fan-out threshold is a channel
// (PROTOCOL.md "Limits", docs/ARCHITECTURE.md "actors/"): it delivers only to
// the members that are online, so an offline member costs nothing per message.
// It learns who is online from the members' user actors: it asks the directory
// of each node that holds some of its members' shards to watch them (the node
// answers who is online now), and each watched user's actor tells it of
// every change after. It believes only the node that owns the user's shard
// now, monitors the user actors that said they are online and the other
// nodes' registries it watched through (either may go away: the members
// concerned are watched again), watches again where new routes moved its
// members' shards, and ends its watches where it made them when it
// passivates. A member it is not sure of (its watch not answered yet, or
// to be made again) is delivered to as in a group, so that a message is
// never missed while the channel learns.
namespace switchboard::actors::detail {

namespace {

using kind = directory::shard_route::kind;

constexpr std::chrono::milliseconds retry_interval{1000};
// A watch that keeps failing is logged once a minute, not every retry.
constexpr std::int64_t warn_interval_ms = 60000;

bool over_threshold(const conversation_state& st) {
  return st.members.size() > st.ctx->lim.fanout_threshold;
}

conversation_actor handle_of(conv_self self) {
  return caf::actor_cast<conversation_actor>(self);
}

// The shard of `user` as the routes count them (0 on a standalone node).
std::uint32_t shard_index(const directory& dir, const std::string& user) {
  auto n = dir.shard_count();
  return n == 0 ? 0 : storage::shard_of(user, n);
}

void arm_retry(conv_self self) {
  auto& ch = *self->state.channel;
  if (ch.retry.empty() || ch.retry_armed) return;
  ch.retry_armed = true;
  self->delayed_send(self, retry_interval, timeout_atom::value,
                     channel_retry_tag);
}

// `users` of a remote watch `id` were not watched (its node refused them or
// did not answer): they stay unsure and are watched again soon.
void watch_again(conv_self self, const std::vector<std::string>& users,
                 std::uint64_t id) {
  auto& ch = *self->state.channel;
  for (auto& u : users) {
    auto p = ch.pending.find(u);
    if (p == ch.pending.end() || p->second != id) continue;
    ch.pending.erase(p);
    if (ch.watched.count(u)) ch.retry.insert(u);
  }
  arm_retry(self);
}

void warn_failed(conv_self self, std::size_t users, const std::string& why) {
  auto& st = self->state;
  auto now = now_ms();
  if (now - st.channel->warned_ms < warn_interval_ms) return;
  st.channel->warned_ms = now;
  metrics::emit(st.ctx->log, "warn", "channel_watch_failed",
                {{"conv_id", st.conv_id},
                 {"users", std::to_string(users)},
                 {"error", why}});
}

// Asks the nodes of `users`' shards to watch them (this node's directory
// at once, others through their registries), and records where each
// shard's users are watched. `users` are unsure until answered.
void watch(conv_self self, const std::vector<std::string>& users) {
  auto& st = self->state;
  auto& ch = *st.channel;
  auto* dir = st.ctx->dir;
  std::vector<std::string> here;
  users_by_node elsewhere;
  for (auto& u : users) {
    auto r = dir->route_of(u);
    auto shard = shard_index(*dir, u);
    ch.watched.insert(u);
    ch.unsure.insert(u);
    ch.retry.erase(u);
    if (r.what == kind::local) {
      here.push_back(u);
      ch.watched_at[shard] = caf::actor{};
    } else if (r.what == kind::remote && r.registry) {
      add_to_node(elsewhere, r.registry, u);
      ch.watched_at[shard] = r.registry;
    } else {
      ch.retry.insert(u);
      ch.watched_at.erase(shard);
    }
  }
  if (!here.empty()) {
    std::vector<std::string> refused;  // their shard is moving away
    for (auto& o :
         dir->watch_channel(st.conv_id, handle_of(self), here, refused))
      roster_note(self, o.user, caf::actor_cast<caf::strong_actor_ptr>(o.actor),
                  o.gen, true);
    for (auto& u : refused) ch.retry.insert(u);
    for (auto& u : here) {
      ch.pending.erase(u);
      if (std::find(refused.begin(), refused.end(), u) == refused.end())
        ch.unsure.erase(u);
    }
  }
  auto started = st.channel_starts;
  for (auto& [registry, ids] : elsewhere) {
    if (ch.registries.insert(registry.address()).second)
      self->monitor(registry);
    auto id = ++ch.watches_sent;
    for (auto& u : ids) ch.pending[u] = id;
    self->request(registry, st.ctx->lim.remote_request_timeout,
                  channel_atom::value, st.conv_id, handle_of(self), ids, true)
        .then(
            [self, started, ids, id](std::vector<std::string>& online,
                                     std::vector<std::uint64_t>& gens,
                                     std::vector<caf::actor>& actors,
                                     std::vector<std::string>& refused) {
              auto& st = self->state;
              if (!st.channel || st.channel_starts != started) return;
              auto& ch = *st.channel;
              for (std::size_t i = 0;
                   i < online.size() && i < gens.size() && i < actors.size();
                   ++i)
                roster_note(self, online[i],
                            caf::actor_cast<caf::strong_actor_ptr>(actors[i]),
                            gens[i], true);
              // Refused: that node does not own their shard (now).
              watch_again(self, refused, id);
              for (auto& u : ids) {
                auto p = ch.pending.find(u);
                if (p == ch.pending.end() || p->second != id) continue;
                ch.pending.erase(p);
                ch.unsure.erase(u);
              }
            },
            [self, started, ids, id](caf::error& e) {
              auto& st = self->state;
              if (!st.channel || st.channel_starts != started) return;
              warn_failed(self, ids.size(), to_string(e));
              watch_again(self, ids, id);
            });
  }
  arm_retry(self);
}

// Ends the watches of `users` where they were made.
void unwatch(conv_self self, const std::vector<std::string>& users) {
  auto& st = self->state;
  auto& ch = *st.channel;
  auto* dir = st.ctx->dir;
  std::vector<std::string> here;
  users_by_node elsewhere;
  for (auto& u : users) {
    if (ch.watched.erase(u) == 0) continue;
    auto at = ch.watched_at.find(shard_index(*dir, u));
    if (at == ch.watched_at.end()) continue;  // never reached a node
    if (!at->second) {
      here.push_back(u);
      continue;
    }
    add_to_node(elsewhere, at->second, u);
  }
  if (!here.empty()) dir->unwatch_channel(st.conv_id, here, self->address());
  for (auto& [registry, ids] : elsewhere)
    caf::anon_send(registry, channel_atom::value, st.conv_id, handle_of(self),
                   std::move(ids), false);
}

void start(conv_self self) {
  auto& st = self->state;
  st.channel.emplace();
  ++st.channel_starts;
  st.ctx->dir->add_channel(st.conv_id, handle_of(self));
  st.ctx->metrics->channels.add(1);
  watch(self, member_ids(st));
}

void stop(conv_self self) {
  auto& st = self->state;
  auto& ch = *st.channel;
  unwatch(self, {ch.watched.begin(), ch.watched.end()});
  for (auto& [addr, _] : ch.monitored) self->demonitor(addr);
  for (auto& addr : ch.registries) self->demonitor(addr);
  st.channel.reset();
  st.ctx->metrics->channels.add(-1);
  st.ctx->dir->remove_channel(st.conv_id, self->address());
}

}  // namespace

void channel_members_changed(conv_self self,
                             const std::vector<std::string>& added,
                             const std::vector<std::string>& removed) {
  auto& st = self->state;
  if (!st.channel) {
    if (over_threshold(st)) start(self);
    return;
  }
  if (!over_threshold(st)) return stop(self);
  if (!removed.empty()) {
    for (auto& u : removed) {
      roster_forget(self, u);
      st.channel->unsure.erase(u);
      st.channel->retry.erase(u);
      st.channel->pending.erase(u);
    }
    unwatch(self, removed);
  }
  if (!added.empty()) watch(self, added);
}

void channel_rewatch(conv_self self) {
  auto& st = self->state;
  if (!st.channel) return;
  auto& ch = *st.channel;
  auto* dir = st.ctx->dir;
  std::vector<std::string> again;
  for (auto& u : ch.watched) {
    auto r = dir->route_of(u);
    auto at = ch.watched_at.find(shard_index(*dir, u));
    bool same = at != ch.watched_at.end() &&
                ((r.what == kind::local && !at->second) ||
                 (r.what == kind::remote && at->second == r.registry));
    if (!same) again.push_back(u);
  }
  if (!again.empty()) watch(self, again);
}

void channel_retry(conv_self self) {
  auto& st = self->state;
  if (!st.channel) return;
  st.channel->retry_armed = false;
  std::vector<std::string> again;
  for (auto& u : st.channel->retry)
    if (st.channel->watched.count(u)) again.push_back(u);
  st.channel->retry.clear();
  if (!again.empty()) watch(self, again);
}

bool channel_down(conv_self self, const caf::down_msg& dm) {
  auto& st = self->state;
  if (!st.channel) return false;
  auto& ch = *st.channel;
  if (ch.registries.erase(dm.source) != 0) {
    // A node's registry is gone (the node, or only the connection to it):
    // its watches may be gone with it. Every member watched there is
    // watched again, wherever its shard is by then.
    auto* dir = st.ctx->dir;
    std::vector<std::uint32_t> shards;
    for (auto it = ch.watched_at.begin(); it != ch.watched_at.end();)
      if (it->second && it->second.address() == dm.source) {
        shards.push_back(it->first);
        it = ch.watched_at.erase(it);
      } else {
        ++it;
      }
    for (auto& u : ch.watched)
      if (std::find(shards.begin(), shards.end(), shard_index(*dir, u)) !=
          shards.end()) {
        ch.unsure.insert(u);
        ch.retry.insert(u);
      }
    arm_retry(self);
    return true;
  }
  auto gone = roster_down(self, dm.source);
  if (!gone) return false;
  auto& user = *gone;
  // Its actor is gone (its node died, or its shard stopped here for a
  // while): the user's next actor is found by watching again.
  if (ch.watched.count(user)) {
    ch.unsure.insert(user);
    ch.retry.insert(user);
    arm_retry(self);
  }
  return true;
}

void channel_leave(conv_self self) {
  if (self->state.channel) stop(self);
}

bool channel_typing_allowed(conv_self self) {
  auto& st = self->state;
  if (!st.channel) return true;
  auto& ch = *st.channel;
  auto now = now_ms();
  if (now - ch.typing_window_ms >= st.ctx->lim.typing_interval_ms) {
    ch.typing_window_ms = now;
    ch.typing_in_window = 0;
  }
  return ++ch.typing_in_window <= channel_typing_per_interval;
}

}  // namespace switchboard::actors::detail
