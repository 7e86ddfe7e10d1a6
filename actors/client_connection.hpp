#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace switchboard::actors {

// A client's transport as the actors see it; net/ implements it over a
// WebSocket. Thread-safe: any thread may call it, at any time, also after
// the connection has gone (calls are then ignored).
class client_connection {
 public:
  virtual ~client_connection() = default;

  // Queues one text frame. When the queue passes its cap in frames or
  // bytes (the client does not read), the connection is closed (1008)
  // instead: the client resyncs from the log when it comes back, so nothing
  // is lost.
  virtual void send_text(std::string text) = 0;

  // Room in the queue's byte cap for an answer that is still being built
  // (a history page): reserves up to `bytes` and returns how many it
  // reserved, 0 when the queue and earlier reservations fill the cap. The
  // caller release()s them once its answer is queued (send_text counts it
  // from then on).
  virtual std::size_t reserve(std::size_t bytes) = 0;
  virtual void release(std::size_t bytes) = 0;

  // A request that came in as a frame has been answered, or needs no
  // answer. A connection stops reading at its cap of requests in flight
  // (backpressure) and reads on once it is below it again.
  virtual void request_done() = 0;

  // Closes the connection with a WebSocket close code and reason.
  virtual void close(std::uint16_t code, std::string reason) = 0;
};

// What net/ holds for an open connection: where its frames go.
class connection_handler {
 public:
  // A frame that net/ does not hand on: a binary one (frames are UTF-8
  // JSON text), or any while the node drains (SIGTERM).
  enum class refusal { not_text, draining };

  virtual ~connection_handler() = default;
  virtual void on_frame(std::string text) = 0;
  virtual void on_close() = 0;
  // The error frame that answers a frame refused for `why` (PROTOCOL.md
  // "Errors"): net/ queues it, and writes no protocol of its own.
  virtual std::string refusal_frame(refusal why) const = 0;
};

}  // namespace switchboard::actors
