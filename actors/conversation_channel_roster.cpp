#include "actors/conversation_channel.hpp"
#include "actors/directory.hpp"

// What a channel knows of each member (conversation_channel.cpp watches
// them): online or offline, as the member's user actor last said, with
// that actor's generation of the change. Only the actor at the owner of
// the user's shard is believed, and a change older than one known from the
// same actor is ignored. The channel monitors each actor it records.
namespace switchboard::actors::detail {

namespace {

using kind = directory::shard_route::kind;

// Whether `who` runs on the node that owns `user`'s shard now: a word from
// any other node (an old owner's late answer or notice) is stale.
bool from_owner(conv_self self, const std::string& user,
                const caf::strong_actor_ptr& who) {
  auto r = self->state.ctx->dir->route_of(user);
  if (r.what == kind::local) return who->node() == self->node();
  if (r.what == kind::remote)
    return r.registry && who->node() == r.registry.node();
  return false;
}

}  // namespace

// Forgets what the channel knew of `user`, and stops monitoring its actor.
void roster_forget(conv_self self, const std::string& user) {
  auto& ch = *self->state.channel;
  for (auto* m : {&ch.online, &ch.offline}) {
    auto it = m->find(user);
    if (it == m->end()) continue;
    auto mo = ch.monitored.find(it->second.actor);
    if (mo != ch.monitored.end() && mo->second == user) {
      self->demonitor(it->second.actor);
      ch.monitored.erase(mo);
    }
    m->erase(it);
  }
}

// The actor `who` of `user` says the user is online or not, its `gen`th
// change: kept unless the channel knows a newer change of the same actor,
// or `who` is not at the user's shard's owner.
void roster_note(conv_self self, const std::string& user,
                 const caf::strong_actor_ptr& who, std::uint64_t gen,
                 bool online) {
  auto& st = self->state;
  if (!st.channel || !who || st.members.count(user) == 0) return;
  if (!from_owner(self, user, who)) return;
  auto& ch = *st.channel;
  auto addr = caf::actor_cast<caf::actor_addr>(who);
  const conversation_state::channel_member* known = nullptr;
  if (auto it = ch.online.find(user); it != ch.online.end())
    known = &it->second;
  else if (auto off = ch.offline.find(user); off != ch.offline.end())
    known = &off->second;
  bool same_actor = known != nullptr && known->actor == addr;
  if (same_actor && known->gen >= gen) return;
  if (same_actor) {
    ch.online.erase(user);
    ch.offline.erase(user);
  } else {
    roster_forget(self, user);
    self->monitor(who);
    ch.monitored[addr] = user;
  }
  (online ? ch.online : ch.offline)[user] = {addr, gen};
}

void channel_notice(conv_self self, const std::string& user, std::uint64_t gen,
                    bool online) {
  roster_note(self, user, self->current_sender(), gen, online);
}

std::optional<std::string> roster_down(conv_self self,
                                       const caf::actor_addr& source) {
  auto& ch = *self->state.channel;
  auto it = ch.monitored.find(source);
  if (it == ch.monitored.end()) return std::nullopt;
  auto user = it->second;
  ch.monitored.erase(it);
  for (auto* m : {&ch.online, &ch.offline})
    if (auto r = m->find(user); r != m->end() && r->second.actor == source)
      m->erase(r);
  return user;
}

}  // namespace switchboard::actors::detail
