#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/client_connection.hpp"
#include "actors/messages.hpp"
#include "actors/node_context.hpp"

namespace switchboard::actors {

// State of a user's actor: the connection registry (its sessions on this
// node), presence and last seen, and who watches its presence. Owned by the
// actor; not thread-safe.
struct user_state {
  std::string user_id;
  node_context* ctx = nullptr;
  struct session {
    std::string id;
    session_actor actor;
    // Its connection when the session is on this node: events go straight
    // to it, one hop fewer than through the session actor.
    std::weak_ptr<client_connection> local;
  };
  // A user has a few connections at most: a vector, searched linearly,
  // costs an idle connection less than a map.
  std::vector<session> sessions;
  std::vector<session_actor> watchers;  // presence subscribers
  bool loaded = false;                  // last_seen read
  bool idle_timer_armed = false;
  std::int64_t last_seen = 0;
  // Counts its changes between online and offline: a channel it tells
  // keeps the newest (conversation_channel.cpp).
  std::uint64_t online_gen = 0;
  std::vector<std::function<void()>> waiting;  // until loaded
  std::int64_t last_activity_ms = 0;

  static inline const char* name = "switchboard.user";
};

// Online while it has a session; offline (with last_seen, persisted) when
// the last one closes. Passivates when it has neither sessions nor watchers
// and has been idle for limits::idle_actor; only then does it keep a timer,
// so an online user costs no pending timer.
user_actor::behavior_type user(user_actor::stateful_pointer<user_state> self,
                               std::string user_id, node_context* ctx);

}  // namespace switchboard::actors
