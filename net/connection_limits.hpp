#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace switchboard::net {

// The open client connections of a server, counted against their caps:
// TCP connections per node and per remote address, WebSockets per user.
// A connection holds a slot while it is open; dropping the slot gives it
// back. Thread-safe; a slot may outlive nothing but this object.
class connection_limits {
 public:
  struct caps {
    std::size_t node = 0;         // TCP connections; 0: no cap
    std::size_t per_address = 0;  // TCP connections from one IP; 0: no cap
    std::size_t per_user = 0;     // WebSockets of one user; 0: no cap
  };
  enum class refusal { none, node_full, address_full, user_full };
  using slot = std::shared_ptr<void>;

  explicit connection_limits(caps c) : caps_(c) {}

  // A TCP connection from `ip`: its slot, or nullptr and why not.
  slot admit_connection(const std::string& ip, refusal& why);
  // A WebSocket of `user`: its slot, or nullptr and why not.
  slot admit_user(const std::string& user, refusal& why);
  // A refused connection, while it is being answered: at most
  // `max_refusing` at once, so that a flood of refused connections cannot
  // take the descriptors the caps keep for the store; nullptr: close it
  // without an answer.
  slot admit_refusal();

  static constexpr std::size_t max_refusing = 256;

  std::size_t connections() const;

 private:
  void release(std::unordered_map<std::string, std::size_t>& counts,
               const std::string& key, bool node);

  caps caps_;
  mutable std::mutex mtx_;
  std::size_t node_ = 0;
  std::size_t refusing_ = 0;
  std::unordered_map<std::string, std::size_t> addresses_;
  std::unordered_map<std::string, std::size_t> users_;
};

}  // namespace switchboard::net
