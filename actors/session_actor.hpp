#pragma once

#include <memory>
#include <string>
#include <vector>

#include "actors/client_connection.hpp"
#include "actors/messages.hpp"
#include "actors/node_context.hpp"
#include "actors/presence_watch.hpp"
#include "actors/request_lanes.hpp"
#include "actors/request_timer.hpp"

namespace switchboard::actors {

// State of one client connection's actor. Owned by the actor; not
// thread-safe. `conn` is thread-safe (client_connection).
struct session_state {
  std::string user_id;
  std::string session_id;
  node_context* ctx = nullptr;
  std::shared_ptr<client_connection> conn;
  bool attached = false;         // welcomed: registered once
  caf::actor_addr user_actor{};  // the user's actor, while registered
  int reattach_attempt = 0;
  std::vector<std::string> early;  // frames that came before that
  // The presence it subscribed to, and the user actors that have those
  // subscriptions, monitored: when one goes away (its shard moved, its
  // node died) the session subscribes again to whichever actor has the
  // user now (session_presence.hpp).
  presence_watch presence;
  request_lanes lanes;  // sends, acks and reads, per conversation
  request_timer timer;  // the deadlines of its requests in flight

  static inline const char* name = "switchboard.session";
};

// Parses the client's frames, asks the conversation and user actors, and
// writes its answers, and the events pushed to it (push_atom: those of a
// user actor on another node, presence), to the connection. Sends `welcome`
// once the user actor knows the connection; frames that arrive earlier wait.
session_actor::behavior_type session(
    session_actor::stateful_pointer<session_state> self, std::string user_id,
    std::string session_id, std::shared_ptr<client_connection> conn,
    node_context* ctx);

}  // namespace switchboard::actors
