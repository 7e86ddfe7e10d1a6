#pragma once

#include <cstdint>
#include <string>

namespace switchboard::actors {

// A client's transport as the actors see it; net/ implements it over a
// WebSocket. Thread-safe: any thread may call it, at any time, also after
// the connection has gone (calls are then ignored).
class client_connection {
 public:
  virtual ~client_connection() = default;

  // Queues one text frame. When the queue passes its cap (the client does
  // not read), the connection is closed instead: the client resyncs from
  // the log when it comes back, so nothing is lost.
  virtual void send_text(std::string text) = 0;

  // Closes the connection with a WebSocket close code and reason.
  virtual void close(std::uint16_t code, std::string reason) = 0;
};

// What net/ holds for an open connection: where its frames go.
class connection_handler {
 public:
  virtual ~connection_handler() = default;
  virtual void on_frame(std::string text) = 0;
  virtual void on_close() = 0;
};

}  // namespace switchboard::actors
