#include "app/token_auth.hpp"

#include <chrono>

#include "auth/jwt.hpp"
#include "rest/route.hpp"

namespace switchboard::app {

std::string request_token(const net::http_request& req) {
  const std::string& h = req.authorization;
  if (h.size() > 7 &&
      (h.compare(0, 7, "Bearer ") == 0 || h.compare(0, 7, "bearer ") == 0))
    return h.substr(7);
  auto params = rest::parse_query(req.target);
  auto it = params.find("token");
  return it == params.end() ? std::string() : it->second;
}

net::authenticator token_authenticator(
    std::shared_ptr<const auth::hs256_key> key) {
  return
      [key = std::move(key)](const net::http_request& req, std::string& user) {
        auto token = request_token(req);
        if (token.empty()) {
          user = "missing token";
          return false;
        }
        auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
        auto r = auth::verify_token(*key, token, now);
        if (!r.ok) {
          user = std::string(auth::to_string(r.error));
          return false;
        }
        user = r.ok->sub;
        return true;
      };
}

}  // namespace switchboard::app
