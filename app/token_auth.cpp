#include "app/token_auth.hpp"

#include <chrono>

#include "auth/jwt.hpp"

namespace switchboard::app {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string url_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 &&
        hex_value(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i] == '+' ? ' ' : s[i]);
    }
  }
  return out;
}

}  // namespace

std::string request_token(const net::http_request& req) {
  const std::string& h = req.authorization;
  if (h.size() > 7 && (h.compare(0, 7, "Bearer ") == 0 || h.compare(0, 7, "bearer ") == 0))
    return h.substr(7);
  auto q = req.target.find('?');
  if (q == std::string::npos) return {};
  std::string_view query(req.target);
  query.remove_prefix(q + 1);
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    if (pair.rfind("token=", 0) == 0) return url_decode(pair.substr(6));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

net::authenticator token_authenticator(std::string secret) {
  return [secret = std::move(secret)](const net::http_request& req, std::string& user) {
    auto token = request_token(req);
    if (token.empty()) {
      user = "missing token";
      return false;
    }
    auto now = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    auto r = auth::verify_token(secret, token, now);
    if (!r.ok) {
      user = std::string(auth::to_string(r.error));
      return false;
    }
    user = r.ok->sub;
    return true;
  };
}

}  // namespace switchboard::app
