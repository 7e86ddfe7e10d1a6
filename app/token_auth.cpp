#include "app/token_auth.hpp"

#include "rest/route.hpp"

namespace switchboard::app {

std::string request_token(const net::http_request& req) {
  if (auto t = auth::bearer_token(req.authorization); !t.empty())
    return std::string(t);
  auto params = rest::parse_query(req.target);
  auto it = params.find("token");
  return it == params.end() ? std::string() : it->second;
}

net::authenticator token_authenticator(const auth::token_verifier& tokens) {
  return [&tokens](const net::http_request& req, std::string& user) {
    auto token = request_token(req);
    if (token.empty()) {
      user = "missing token";
      return false;
    }
    auto r = tokens.verify(token);
    if (!r.ok) {
      user = std::string(auth::to_string(r.error));
      return false;
    }
    user = r.ok->sub;
    return true;
  };
}

}  // namespace switchboard::app
