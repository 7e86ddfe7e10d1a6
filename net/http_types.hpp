#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

// Plain HTTP request/response values, so that handlers above net/ never see
// a Beast type.
namespace switchboard::net {

struct http_request {
  std::string method;         // "GET", "POST", ...
  std::string target;         // path and query, as sent
  std::string authorization;  // the Authorization header, or empty
  std::string content_type;
  std::string host;    // the Host header, or empty
  std::string origin;  // the Origin header, or empty
  std::string body;
  std::string remote;  // peer address, "ip:port"
};

struct http_response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
};

// Answers a request, now or later, by calling `reply` exactly once, from any
// thread.
using http_reply = std::function<void(http_response)>;
using http_handler = std::function<void(http_request, http_reply)>;

}  // namespace switchboard::net
