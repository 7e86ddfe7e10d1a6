#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

// What an operator sees of a node's live connections and actors (the admin
// API), without CAF: the directory implements it (directory.hpp), and
// node::live() gives it, so that the admin layer needs none of the actors'
// messages or CAF's headers. Thread-safe.
namespace switchboard::actors {

// A connection of this node, for the admin shell.
struct session_info {
  std::string session_id;
  std::string user_id;
  std::string remote;  // the peer's address
  std::int64_t since_ms = 0;
};

class live_view {
 public:
  // The sessions (connections) of `user_id` on this node.
  virtual std::vector<session_info> sessions_of(const std::string& user_id) = 0;
  // Users with a connection here whose id starts with `prefix`, sorted.
  virtual std::vector<std::string> online_users(const std::string& prefix) = 0;
  // Users with a connection here (online_users("").size(), without the
  // list).
  virtual std::size_t online_count() = 0;
  virtual bool conversation_active(const std::string& conv_id) = 0;
  virtual std::size_t active_conversations() = 0;
  // Closes every connection of `user_id` (1008 and `reason`); returns how
  // many there were.
  virtual std::size_t kick(const std::string& user_id,
                           const std::string& reason) = 0;

 protected:
  ~live_view() = default;
};

}  // namespace switchboard::actors
