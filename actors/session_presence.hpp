#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "actors/session_actor.hpp"

// A connection's presence subscriptions after they are made
// (requests.cpp makes them): kept only while the presence policy allows,
// and made again when the user's actor goes away. Internal to the session
// actor.
namespace switchboard::actors {

using session_self = session_actor::stateful_pointer<session_state>;

// Subscribes again to `user`'s presence (the actor that had it went away,
// or a subscription found no actor): checks the policy first, and writes
// the status the user has now, which may have changed in between. While
// that cannot be done, tries again later, backing off from 0.5 s to 8 s.
void resubscribe(session_self self, const std::string& user,
                 std::uint32_t attempt);

// The conversations `users` share changed (members came or went): checks
// again the subscriptions to them, or to everyone when the connection's
// own user is one of them. A user no longer shared with is unwatched and
// shown offline with last_seen null, as any stranger is; one shared with
// now is watched.
void revalidate(session_self self, const std::vector<std::string>& users);

// A change of `user`'s presence from the current sender: whether the
// client is told (the session keeps that subscription, or one whose answer
// it missed, while the policy allows). Any other sender's subscription is
// ended.
bool presence_change_kept(session_self self, const std::string& user);

}  // namespace switchboard::actors
