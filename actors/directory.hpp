#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "actors/client_connection.hpp"
#include "actors/messages.hpp"
#include "actors/node_context.hpp"

namespace switchboard::actors {

// Where the actors of conversations and users are: callers address them by
// id, never by a handle they kept, so that an actor can passivate and come
// back (and, with the cluster, live on another node). Activates an actor on
// first use. Thread-safe.
class directory {
 public:
  directory(caf::actor_system& sys, node_context& ctx) : sys_(sys), ctx_(ctx) {}

  // The conversation's actor, activated if needed.
  conversation_actor conversation(const std::string& conv_id);
  // The user's actor, activated if needed.
  user_actor user(const std::string& user_id);
  // The user's actor if it is active (the user is online or watched), and
  // in `*local_sessions`, when given, how many connections of the user this
  // node has.
  std::optional<user_actor> find_user(const std::string& user_id,
                                      std::size_t* local_sessions = nullptr);

  // Called by an actor that passivates: forgets it, if `self` is still the
  // one registered under `id`.
  void forget_conversation(const std::string& id, const caf::actor_addr& self);
  void forget_user(const std::string& id, const caf::actor_addr& self);

  // A connection of this node, for the admin shell.
  struct session_info {
    std::string session_id;
    std::string user_id;
    std::string remote;  // the peer's address
    std::int64_t since_ms = 0;
  };

  // The sessions (connections) of this node.
  void add_session(const std::string& session_id, const session_actor& s,
                   const std::string& user_id, const std::string& remote,
                   std::weak_ptr<client_connection> conn);
  void forget_session(const std::string& session_id);
  std::vector<session_info> sessions_of(const std::string& user_id);
  // Users with a connection here whose id starts with `prefix`, sorted.
  std::vector<std::string> online_users(const std::string& prefix);
  bool conversation_active(const std::string& conv_id);
  // The connection of a session of this node (expired when there is none).
  std::weak_ptr<client_connection> connection(const std::string& session_id);
  // Closes every connection of `user_id` (1008 and `reason`); returns how
  // many there were.
  std::size_t kick(const std::string& user_id, const std::string& reason);

  std::size_t active_conversations();
  std::size_t active_users();
  std::size_t sessions();

  // Asks every actor it knows to exit (node shutdown).
  void shutdown();

 private:
  caf::actor_system& sys_;
  node_context& ctx_;
  std::mutex mtx_;
  std::unordered_map<std::string, conversation_actor> conversations_;
  std::unordered_map<std::string, user_actor> users_;
  struct session_entry {
    session_actor actor;
    session_info info;
    std::weak_ptr<client_connection> conn;
  };
  std::unordered_map<std::string, session_entry> sessions_;
  std::unordered_map<std::string, std::size_t> sessions_per_user_;
  bool shut_down_ = false;  // actors activated after shutdown() exit at once
};

}  // namespace switchboard::actors
