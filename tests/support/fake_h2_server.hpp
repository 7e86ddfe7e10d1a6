#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/fake_http_server.hpp"

namespace switchboard::testing {

// A local HTTP/2 server over TLS on a free loopback port, as APNs is: it
// takes only clients that negotiate "h2" by ALPN (an HTTP/1.1 client fails
// its handshake), keeps every request and answers each with what the
// test's handler says. Its certificate is made at start for 127.0.0.1;
// ca_file() is the PEM a client must trust. A thread per connection.
class fake_h2_server {
 public:
  using request = fake_http_server::request;  // :method, :path as target
  using response = fake_http_server::response;
  using handler = fake_http_server::handler;

  explicit fake_h2_server(handler h);
  ~fake_h2_server();
  fake_h2_server(const fake_h2_server&) = delete;
  fake_h2_server& operator=(const fake_h2_server&) = delete;

  std::string url() const {
    return "https://127.0.0.1:" + std::to_string(port_);
  }
  // The self-signed certificate, PEM, in a file of its own.
  const std::string& ca_file() const { return ca_file_; }
  std::vector<request> requests() const;
  bool wait_for(std::size_t n, std::chrono::milliseconds deadline) const;
  void set_handler(handler h);
  // TLS connections that completed a handshake with "h2".
  std::size_t connections() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
  std::uint16_t port_ = 0;
  std::string ca_file_;
};

}  // namespace switchboard::testing
