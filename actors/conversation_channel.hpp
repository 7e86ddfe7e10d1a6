#pragma once

// A channel's parts, internal to actors/: watching its members on their
// nodes (conversation_channel.cpp) and what it knows of each
// (conversation_channel_roster.cpp).

#include <optional>
#include <string>

#include "actors/conversation_ops.hpp"

namespace switchboard::actors::detail {

// Forgets what the channel knew of `user`, and stops monitoring its actor.
void roster_forget(conv_self self, const std::string& user);
// The actor `who` of `user` says the user is online or not, its `gen`th
// change: kept unless the channel knows a newer change of the same actor,
// or `who` is not at the owner of the user's shard (then it is stale).
void roster_note(conv_self self, const std::string& user,
                 const caf::strong_actor_ptr& who, std::uint64_t gen,
                 bool online);
// A monitored user actor is gone: what the channel knew from it goes too.
// The user, or nullopt when `source` was no actor of the roster's.
std::optional<std::string> roster_down(conv_self self,
                                       const caf::actor_addr& source);

}  // namespace switchboard::actors::detail
