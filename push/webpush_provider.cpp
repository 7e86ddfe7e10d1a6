#include "push/webpush_provider.hpp"

#include <openssl/sha.h>

#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/scheme.hpp>
#include <boost/url/url_view.hpp>
#include <cctype>
#include <chrono>
#include <optional>
#include <stdexcept>

#include "auth/base64url.hpp"
#include "common/clock.hpp"
#include "push/gateway_provider.hpp"
#include "push/webpush_crypto.hpp"

namespace switchboard::push {

namespace json = boost::json;

namespace {

// What a push service keeps an undelivered push for.
constexpr const char* ttl_s = "86400";
// VAPID tokens live at most a day (RFC 8292 §2); these, 12 hours.
constexpr std::int64_t vapid_life_s = 12 * 3600;

struct subscription {
  std::string endpoint, origin, p256dh, auth;
};

std::optional<subscription> parse(const std::string& token) {
  boost::system::error_code ec;
  auto v = json::parse(token, ec);
  if (ec || !v.is_object()) return std::nullopt;
  auto& o = v.as_object();
  auto* e = o.if_contains("endpoint");
  auto* k = o.if_contains("keys");
  if (!e || !e->is_string() || !k || !k->is_object()) return std::nullopt;
  auto* p = k->as_object().if_contains("p256dh");
  auto* a = k->as_object().if_contains("auth");
  if (!p || !p->is_string() || !a || !a->is_string()) return std::nullopt;
  auto pd = auth::base64url_decode(std::string(p->as_string()));
  auto ad = auth::base64url_decode(std::string(a->as_string()));
  std::string url(e->as_string());
  auto aud = vapid_audience(url);
  if (!pd || !ad || !aud) return std::nullopt;
  return subscription{url, *aud, *pd, *ad};
}

// A Topic (at most 32 characters of base64url) per conversation.
std::string topic(const std::string& conv) {
  unsigned char h[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(conv.data()), conv.size(), h);
  return auth::base64url_encode(
      std::string_view(reinterpret_cast<const char*>(h), 24));
}

}  // namespace

// The origin of `url` (VAPID's audience, RFC 8292 §2, as RFC 6454
// serialises it): the scheme and host in lower case, and the port only
// when it is not the scheme's default; no user info, path, query or
// fragment. Nothing when `url` is not an absolute http: or https: URL with
// a host (Boost.URL parses it).
std::optional<std::string> vapid_audience(const std::string& url) {
  auto u = boost::urls::parse_uri({url.data(), url.size()});
  if (!u) return std::nullopt;
  auto id = u->scheme_id();
  if (id != boost::urls::scheme::https && id != boost::urls::scheme::http)
    return std::nullopt;
  if (!u->has_authority() || u->encoded_host().empty()) return std::nullopt;
  auto name = boost::urls::to_string(id);  // "https", in lower case
  std::string out(name.data(), name.size());
  out += "://";
  for (char c : u->encoded_host())  // an IPv6 host keeps its brackets
    out.push_back(
        static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  // The port's digits as written (Boost 1.81's port_number() wraps large
  // ones); an empty or default port is left out.
  std::string_view port(u->port().data(), u->port().size());
  std::size_t first = port.find_first_not_of('0');
  std::string_view digits =
      first == std::string_view::npos ? std::string_view() : port.substr(first);
  bool default_port =
      digits == (id == boost::urls::scheme::https ? "443" : "80");
  if (!port.empty() && !default_port) {
    out.push_back(':');
    out.append(digits.empty() ? std::string_view("0") : digits);
  }
  return out;
}

webpush_provider::webpush_provider(std::shared_ptr<http_client> http,
                                   const std::string& vapid_pem,
                                   std::string subject)
    : http_(std::move(http)),
      vapid_(vapid_pem, jwt_signer::alg::es256),
      subject_(std::move(subject)) {
  if (subject_.rfind("mailto:", 0) != 0 && subject_.rfind("https://", 0) != 0)
    throw std::invalid_argument(
        "--webpush-subject must be a mailto: or https: URL, got '" + subject_ +
        "'");
}

std::string webpush_provider::public_key() const {
  return auth::base64url_encode(vapid_.public_key());
}

std::string webpush_provider::payload(const notification& n) {
  json::object o{{"conv_id", n.conv_id}, {"badge", n.badge}};
  if (n.clear) {
    o["clear"] = true;
  } else {
    o["msg_id"] = n.msg_id;
    o["sender"] = n.sender;
    if (!n.preview.empty()) o["preview"] = n.preview;
  }
  return json::serialize(o);
}

void webpush_provider::send(const target& to, const notification& n,
                            std::function<void(outcome)> done) {
  auto sub = parse(to.token);
  outcome bad;
  bad.what = outcome::kind::gone;
  bad.reason = "not_a_subscription";
  if (!sub) return done(bad);
  http_client::request r;
  r.url = sub->endpoint;
  try {
    r.body = webpush_encrypt(sub->p256dh, sub->auth, payload(n));
  } catch (const std::invalid_argument&) {
    return done(bad);  // keys no push service would take either
  }
  auto now = common::unix_s();
  auto jwt = vapid_.jwt(json::serialize(json::object{
      {"aud", sub->origin}, {"exp", now + vapid_life_s}, {"sub", subject_}}));
  r.headers = {{"Content-Type", "application/octet-stream"},
               {"Content-Encoding", "aes128gcm"},
               {"TTL", ttl_s},
               {"Urgency", n.clear ? "normal" : "high"},
               {"Topic", topic(n.conv_id)},
               {"Authorization",
                "vapid t=" + jwt +
                    ", k=" + auth::base64url_encode(vapid_.public_key())}};
  http_->send(std::move(r),
              [done = std::move(done)](http_client::response res) {
                done(common_outcome(res));
              });
}

}  // namespace switchboard::push
