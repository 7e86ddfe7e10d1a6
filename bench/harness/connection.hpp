#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace boost::asio {
class io_context;
}

namespace switchboard::bench {

// One client WebSocket connection of the harness. Many share one
// io_context; everything runs on that context's (single) thread.
class connection {
 public:
  using frame_handler = std::function<void(std::string_view)>;
  // Called once: true when the handshake succeeded (before any frame).
  using open_handler = std::function<void(bool ok, const std::string& error)>;
  using close_handler = std::function<void()>;

  // `open_timeout`: how long open() may take, TCP connect and upgrade
  // together, before it fails ("open: ...").
  static std::shared_ptr<connection> create(
      boost::asio::io_context& ioc,
      std::chrono::milliseconds open_timeout = std::chrono::seconds(10));
  virtual ~connection() = default;

  virtual void open(const std::string& host, std::uint16_t port,
                    const std::string& token, open_handler on_open,
                    frame_handler on_frame, close_handler on_close = {}) = 0;
  // Queues a text frame; frames queued together go out back to back.
  virtual void send(std::string text) = 0;
  virtual void close() = 0;
};

}  // namespace switchboard::bench
