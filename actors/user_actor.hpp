#pragma once

#include <functional>
#include <map>
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
  std::map<std::string, session_actor> sessions;  // by session_id
  // The connections of the sessions on this node: events go straight to
  // them, one hop fewer than through the session actor.
  std::map<std::string, std::weak_ptr<client_connection>> local;
  std::vector<session_actor> watchers;  // presence subscribers
  bool loaded = false;                  // last_seen read
  std::int64_t last_seen = 0;
  std::vector<std::function<void()>> waiting;  // until loaded
  std::int64_t last_activity_ms = 0;

  static inline const char* name = "switchboard.user";
};

// Online while it has a session; offline (with last_seen, persisted) when
// the last one closes. Passivates when it has neither sessions nor watchers
// and has been idle for limits::idle_actor.
user_actor::behavior_type user(user_actor::stateful_pointer<user_state> self,
                               std::string user_id, node_context* ctx);

}  // namespace switchboard::actors
