#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "net/http_types.hpp"

namespace switchboard::net {

struct server_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 7070;  // 0: any free port
  int threads = 1;            // Asio threads
  std::size_t max_request_body = 65536;
  int handshake_timeout_s = 10;
};

// The node's client-facing listener: one TCP port, HTTP/1.1 keep-alive.
// Requests are handed to `handler`. Thread-safe; Beast and Asio stay inside
// net/'s .cpp files.
class server {
 public:
  server(server_options options, http_handler handler);
  ~server();  // stop()
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Binds and starts the I/O threads. Returns the bound port, or throws
  // std::runtime_error when the address cannot be bound (start-up error).
  std::uint16_t start();

  // Closes the listener and every connection, then joins the I/O threads.
  void stop();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace switchboard::net
