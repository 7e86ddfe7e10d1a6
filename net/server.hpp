#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "actors/client_connection.hpp"
#include "common/proto_errors.hpp"
#include "metrics/log_sink.hpp"
#include "net/http_types.hpp"

namespace switchboard::metrics {
struct node_metrics;
}

namespace switchboard::net {

struct server_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 7070;             // 0: any free port
  int threads = 1;                       // Asio threads
  std::size_t max_request_body = 65536;  // HTTP bodies; larger: 413
  int handshake_timeout_s = 10;
  std::size_t max_frame = 65536;  // WebSocket messages; larger: close 1009
  int ws_idle_timeout_s = 30;     // a silent connection is closed
  std::size_t max_queue = 4096;   // outgoing frames; more: close 1008
  std::size_t max_queue_bytes = 4 << 20;  // outgoing bytes; more: close 1008
  std::size_t max_in_flight = 64;   // requests per connection; more: no reads
  std::size_t max_connections = 0;  // TCP connections; more: 503; 0: no cap
  std::size_t max_connections_per_address = 0;  // from one IP; more: 429
  std::size_t max_connections_per_user = 0;     // WebSockets; more: 429
  int http_timeout_s = 10;  // to read a request's headers and body
};

// Decides who a request is, before a WebSocket upgrade. Returns true and
// sets `user` to the user id, or returns false and sets `user` to the reason
// it was refused (answered with 401).
using authenticator =
    std::function<bool(const http_request&, std::string& user)>;

// Opens a WebSocket connection of an authenticated user: returns where its
// frames go.
using websocket_opener =
    std::function<std::shared_ptr<actors::connection_handler>(
        const std::string& user,
        std::shared_ptr<actors::client_connection> conn,
        const std::string& remote)>;

// The answer the transport gives on its own (a connection refused at a
// limit, a body too large, an upgrade refused), with the protocol's error
// body: made by the layer that owns the protocol (rest::error_response).
using refusal_writer = std::function<http_response(common::proto_code code,
                                                   const std::string& message)>;

struct server_handlers {
  http_handler http;
  authenticator authenticate;
  // Unset: a plain-text body with the message.
  refusal_writer refusal;
  websocket_opener open_websocket;
  metrics::node_metrics* metrics = nullptr;  // connections, queue drops
  metrics::log_sink log{};                   // accept failures
};

// The node's client-facing listener: one TCP port serving HTTP/1.1
// (keep-alive) and the WebSocket endpoint /v1/ws. Requests go to
// handlers.http; an upgrade is authenticated first (401 otherwise).
// Thread-safe; Beast and Asio stay inside net/'s .cpp files.
class server {
 public:
  server(server_options options, server_handlers handlers);
  ~server();  // stop()
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Binds and starts the I/O threads. Returns the bound port, or throws
  // std::runtime_error when the address cannot be bound (start-up error).
  std::uint16_t start();

  // Closes the listener and every connection, then joins the I/O threads.
  void stop();

  // --- draining (SIGTERM) ---
  // From now on WebSocket upgrades get 503 and frames of open connections
  // are answered with an `unavailable` error; HTTP is still served.
  void begin_drain();
  // Closes every WebSocket with `code` once what is queued for it is
  // written.
  void close_websockets(std::uint16_t code, const std::string& reason);
  // Waits until no WebSocket is open, or until `timeout`; true when none is.
  bool wait_websockets_closed(std::chrono::milliseconds timeout);
  std::size_t open_websockets() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace switchboard::net
