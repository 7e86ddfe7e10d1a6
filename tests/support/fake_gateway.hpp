#pragma once

#include <boost/json.hpp>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "tests/support/fake_http_server.hpp"

namespace switchboard::testing {

// A Matrix push gateway whose answer the test sets: 200 with no rejected
// pushkey by default.
struct fake_gateway {
  std::mutex m;
  int status = 200;
  std::string body = R"({"rejected":[]})";
  std::map<std::string, std::string> headers;
  fake_http_server server{[this](const fake_http_server::request&) {
    std::lock_guard<std::mutex> l(m);
    return fake_http_server::response{status, headers, body};
  }};

  void answer(int s, std::string b, std::map<std::string, std::string> h = {}) {
    std::lock_guard<std::mutex> l(m);
    status = s;
    body = std::move(b);
    headers = std::move(h);
  }
  // The `notification` of each request, in order.
  std::vector<boost::json::object> notifications() const {
    std::vector<boost::json::object> out;
    for (auto& r : server.requests())
      out.push_back(boost::json::parse(r.body).at("notification").as_object());
    return out;
  }
};

}  // namespace switchboard::testing
