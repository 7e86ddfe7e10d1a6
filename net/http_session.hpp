#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "net/connection_limits.hpp"
#include "net/server.hpp"
#include "net/socket.hpp"

namespace switchboard::net {

// A WebSocket connection as the server's registry sees it.
class ws_control {
 public:
  virtual ~ws_control() = default;
  virtual void close(std::uint16_t code, std::string reason) = 0;
};

// The open WebSocket connections of a server, for draining. Thread-safe.
struct ws_registry {
  std::mutex mtx;
  std::condition_variable cv;
  std::unordered_map<ws_control*, std::weak_ptr<ws_control>> open;
  std::atomic<bool> draining{false};

  void add(const std::shared_ptr<ws_control>& c);
  void remove(ws_control* c);
};

// What every connection of a server shares. Immutable once the server
// runs, but for the registry.
struct session_context {
  server_options options;
  server_handlers handlers;
  std::shared_ptr<ws_registry> registry = std::make_shared<ws_registry>();
  std::shared_ptr<connection_limits> limits{};
};

// Starts serving HTTP/1.1 on an accepted socket (non-blocking, from the
// peer at `remote`, "ip:port"), which holds `slot` while it is open; the
// session keeps itself alive until the connection ends. A connection
// refused by the limits (`why`) is answered 503 or 429 at once and closed;
// its `slot` is then the refusal's (connection_limits::admit_refusal).
void start_http_session(socket_type socket,
                        std::shared_ptr<const session_context> ctx,
                        std::string remote, connection_limits::slot slot,
                        connection_limits::refusal why);

}  // namespace switchboard::net
