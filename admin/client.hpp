#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace switchboard::admin {

// A blocking HTTP client of one node's admin API. Not thread-safe.
class client {
 public:
  client(std::string host, std::uint16_t port, std::string token,
         std::chrono::seconds timeout = std::chrono::seconds(30));

  struct response {
    int status = 0;    // 0: the node could not be reached
    std::string body;  // JSON, or the reason it could not be reached
  };

  response call(const std::string& method, const std::string& target,
                const std::string& body = {});

  std::string address() const { return host_ + ":" + std::to_string(port_); }

 private:
  std::string host_;
  std::uint16_t port_;
  std::string token_;
  std::chrono::seconds timeout_;
};

}  // namespace switchboard::admin
