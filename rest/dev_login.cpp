#include "rest/dev_login.hpp"

#include <boost/json/object.hpp>
#include <chrono>

#include "auth/jwt.hpp"
#include "rest/http_errors.hpp"
#include "rest/json_body.hpp"

namespace switchboard::rest {

namespace json = boost::json;

namespace {
constexpr std::int64_t token_ttl_s = 86400;
}

bool handle_dev_login(bool enabled, const auth::hs256_key& key,
                      const net::http_request& req,
                      const net::http_reply& reply) {
  if (req.target.substr(0, req.target.find('?')) != "/v1/dev/login")
    return false;
  if (req.method != "POST") {
    auto res = error_response(405, "method_not_allowed", "use POST");
    res.headers.emplace_back("Allow", "POST");
    reply(std::move(res));
    return true;
  }
  if (!enabled) {
    reply(error_response(403, "forbidden",
                         "dev login is off on this node: sign in with a "
                         "token, or start the node with --dev-login"));
    return true;
  }
  json::object body;
  net::http_response err;
  if (!json_body(req, body, err)) {
    reply(std::move(err));
    return true;
  }
  auto* user = body.if_contains("user_id");
  if (!user || !user->is_string() ||
      !auth::valid_user_id(std::string_view(user->as_string()))) {
    reply(error_response(400, "bad_request",
                         "user_id must be 1..64 characters of "
                         "[A-Za-z0-9_.-]"));
    return true;
  }
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  std::string id(user->as_string());
  auth::claims c{id, now + token_ttl_s};
  reply(json_response(200, json::object{{"user_id", id},
                                        {"token", auth::sign_token(key, c)},
                                        {"expires_at", c.exp}}));
  return true;
}

}  // namespace switchboard::rest
