#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace switchboard::testing {

// A local HTTP/1.1 server on a free loopback port that plays a provider
// (a push gateway, FCM): it keeps every request and answers each with what
// the test's handler says. A thread per connection; stopped when it goes.
class fake_http_server {
 public:
  struct request {
    std::string method;
    std::string target;
    std::map<std::string, std::string> headers;  // names lower case
    std::string body;
  };
  struct response {
    int status = 200;
    std::map<std::string, std::string> headers;
    std::string body;
  };
  using handler = std::function<response(const request&)>;

  explicit fake_http_server(handler h);
  ~fake_http_server();
  fake_http_server(const fake_http_server&) = delete;
  fake_http_server& operator=(const fake_http_server&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_);
  }
  // Every request answered (or being answered) so far, in order.
  std::vector<request> requests() const;
  // Waits until `n` requests came, or `deadline` passed; whether they did.
  bool wait_for(std::size_t n, std::chrono::milliseconds deadline) const;
  void set_handler(handler h);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
  std::uint16_t port_ = 0;
};

}  // namespace switchboard::testing
