#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace switchboard::testing {

using namespace std::chrono_literals;

// A real WebSocket client for end-to-end tests (Beast over TCP), with its
// own I/O thread. Frames that arrive are queued; the test takes them by
// type or rid, waiting with a deadline that fails the test, never a sleep.
class ws_client {
 public:
  // Connects to ws://127.0.0.1:PORT/v1/ws with `token` in the query
  // (default) or in an Authorization header. Throws std::runtime_error
  // when the handshake fails.
  ws_client(std::uint16_t port, const std::string& token, bool header = false);
  // As a client that reconnects does: a connection closed before its
  // `welcome` (the node answered 1013, its user's shard is changing hands)
  // is tried again until `wait` passed. Throws std::runtime_error then, so
  // that a thread other than the test's may use it.
  static std::unique_ptr<ws_client> connect_retrying(
      std::uint16_t port, const std::string& token,
      std::chrono::milliseconds wait = 30s);
  ~ws_client();
  ws_client(const ws_client&) = delete;
  ws_client& operator=(const ws_client&) = delete;

  void send(const std::string& text);
  // A binary data frame (the protocol's frames are text).
  void send_binary(const std::string& bytes);
  // A WebSocket ping control frame.
  void ping();
  void send(const boost::json::object& frame);

  // Sends `frame` with a fresh rid and returns the frame answering it.
  boost::json::object request(boost::json::object frame,
                              std::chrono::milliseconds wait = 5s);

  // The first queued or arriving frame of `type` (other frames stay
  // queued). Fails the test when none comes within `wait`.
  boost::json::object expect(const std::string& type,
                             std::chrono::milliseconds wait = 5s);
  // Like expect, but returns nullopt instead of failing.
  std::optional<boost::json::object> wait_for(const std::string& type,
                                              std::chrono::milliseconds wait);
  // Whether a frame of `type` is queued now.
  bool has(const std::string& type);
  // Drops every queued frame.
  void clear();

  // Waits until the server closes the connection; returns its close code,
  // or nullopt if it stays open for `wait`.
  std::optional<int> wait_closed(std::chrono::milliseconds wait = 5s);

  // Stops reading from the socket (a slow consumer), and starts again.
  void stop_reading();
  void resume_reading();
  void close();

  std::string session_id;       // from welcome
  boost::json::object welcome;  // the first frame

 private:
  // `welcomed`: null to fail the test without a welcome, else set to
  // whether one came.
  ws_client(std::uint16_t port, const std::string& token, bool header,
            bool* welcomed);
  struct impl;
  std::unique_ptr<impl> impl_;
};

// A WebSocket upgrade (with `token`) on a raw socket that is then never
// read: a client that will not answer a close. Open until destroyed.
class silent_client {
 public:
  silent_client(std::uint16_t port, const std::string& token);
  ~silent_client();
  int status() const noexcept { return status_; }  // of the upgrade, 101

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
  int status_ = 0;
};

// A plain HTTP/1.1 request; returns status and body.
struct http_result {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  boost::json::object json() const;            // the body as an object
};
http_result http_request(
    std::uint16_t port, const std::string& method, const std::string& target,
    const std::string& body = {}, const std::string& authorization = {},
    bool websocket_upgrade = false,
    const std::string& content_type = "application/json",
    const std::vector<std::pair<std::string, std::string>>& headers = {});

}  // namespace switchboard::testing
