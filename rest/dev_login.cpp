#include "rest/dev_login.hpp"

#include <boost/json/object.hpp>
#include <chrono>

#include "auth/jwt.hpp"
#include "auth/token_verifier.hpp"
#include "rest/http_errors.hpp"
#include "rest/json_body.hpp"

namespace switchboard::rest {

namespace json = boost::json;

namespace {

constexpr std::int64_t token_ttl_s = 86400;

bool loopback_ip(std::string_view ip) {
  if (ip.rfind("::ffff:", 0) == 0) ip.remove_prefix(7);
  return ip == "::1" || ip.rfind("127.", 0) == 0;
}

// The host of "ip:port", "[v6]:port" or "name[:port]".
std::string_view host_of(std::string_view hostport) {
  if (!hostport.empty() && hostport.front() == '[') {
    auto close = hostport.find(']');
    return close == std::string_view::npos ? std::string_view()
                                           : hostport.substr(1, close - 1);
  }
  auto colon = hostport.rfind(':');
  if (colon != std::string_view::npos &&
      hostport.find(':') == colon)  // one colon: host:port, not a bare v6
    return hostport.substr(0, colon);
  return hostport;
}

// Why a dev login must be refused although it is enabled, or "".
std::string refusal(const net::http_request& req) {
  if (!loopback_ip(host_of(req.remote)))
    return "dev login answers only clients on this machine";
  auto host = host_of(req.host);
  if (host != "localhost" && !loopback_ip(host))
    return "dev login answers only a loopback Host (localhost, 127.0.0.1, "
           "[::1])";
  if (!req.origin.empty() && req.origin != "http://" + req.host)
    return "dev login answers only pages of this node (Origin http://" +
           req.host + ")";
  return {};
}

}  // namespace

bool handle_dev_login(bool enabled, const auth::hs256_key& key,
                      const net::http_request& req,
                      const net::http_reply& reply) {
  if (req.target.substr(0, req.target.find('?')) != "/v1/dev/login")
    return false;
  if (req.method != "POST") {
    auto res = error_response(proto_code::method_not_allowed, "use POST");
    res.headers.emplace_back("Allow", "POST");
    reply(std::move(res));
    return true;
  }
  if (!enabled) {
    reply(error_response(proto_code::forbidden,
                         "dev login is off on this node: sign in with a "
                         "token, or start the node with --dev-login"));
    return true;
  }
  if (auto why = refusal(req); !why.empty()) {
    reply(error_response(proto_code::forbidden, why));
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
    reply(error_response(proto_code::bad_request,
                         "user_id must be 1..64 characters of "
                         "[A-Za-z0-9_.-]"));
    return true;
  }
  auto now = auth::now_s();
  std::string id(user->as_string());
  auth::claims c{id, now + token_ttl_s};
  c.iat = now;
  reply(json_response(200, json::object{{"user_id", id},
                                        {"token", auth::sign_token(key, c)},
                                        {"expires_at", c.exp}}));
  return true;
}

}  // namespace switchboard::rest
