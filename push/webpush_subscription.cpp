#include "push/webpush_subscription.hpp"

#include <netinet/in.h>

#include <boost/json.hpp>
#include <boost/url/host_type.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/scheme.hpp>
#include <boost/url/url_view.hpp>
#include <cctype>
#include <cstring>

#include "auth/base64url.hpp"
#include "push/public_address.hpp"

namespace switchboard::push {

namespace json = boost::json;

namespace {

// An uncompressed P-256 point (RFC 8291 §3.1) and the auth secret's size.
constexpr std::size_t point_size = 65;
constexpr std::size_t auth_size = 16;

std::nullopt_t refuse(std::string* why, const char* what) {
  if (why) *why = what;
  return std::nullopt;
}

// Whether the host of `url` is an address (not a name) that is not public:
// no DNS answer can make such an endpoint a push service's. Where a name
// points is known only when connecting (http_client::reach::public_only).
bool never_public(const std::string& url) {
  auto u = boost::urls::parse_uri({url.data(), url.size()});
  if (!u) return false;
  switch (u->host_type()) {
    case boost::urls::host_type::ipv4: {
      sockaddr_in a{};
      a.sin_family = AF_INET;
      auto b = u->host_ipv4_address().to_bytes();
      std::memcpy(&a.sin_addr, b.data(), b.size());
      return !is_public_address(reinterpret_cast<const sockaddr*>(&a));
    }
    case boost::urls::host_type::ipv6: {
      sockaddr_in6 a{};
      a.sin6_family = AF_INET6;
      auto b = u->host_ipv6_address().to_bytes();
      std::memcpy(&a.sin6_addr, b.data(), b.size());
      return !is_public_address(reinterpret_cast<const sockaddr*>(&a));
    }
    default:
      return false;
  }
}

}  // namespace

std::optional<webpush_subscription> parse_webpush_subscription(
    const std::string& token, bool allow_http, std::string* why) {
  boost::system::error_code ec;
  auto v = json::parse(token, ec);
  if (ec || !v.is_object())
    return refuse(why,
                  "a webpush token is the JSON of PushSubscription.toJSON(): "
                  "{endpoint, keys: {p256dh, auth}}");
  auto& o = v.as_object();
  auto* e = o.if_contains("endpoint");
  auto* k = o.if_contains("keys");
  if (!e || !e->is_string())
    return refuse(why, "a webpush token needs an endpoint (a URL)");
  std::string url(e->as_string());
  auto aud = vapid_audience(url);
  if (!aud) return refuse(why, "a webpush endpoint is an absolute https: URL");
  if (!allow_http && aud->rfind("https://", 0) != 0)
    return refuse(why, "a webpush endpoint is an https: URL");
  if (!allow_http && never_public(url))
    return refuse(why, "a webpush endpoint's host is not a public address");
  if (!k || !k->is_object())
    return refuse(why, "a webpush token needs keys {p256dh, auth}");
  auto* p = k->as_object().if_contains("p256dh");
  auto* a = k->as_object().if_contains("auth");
  if (!p || !p->is_string() || !a || !a->is_string())
    return refuse(why, "a webpush token needs keys {p256dh, auth}");
  auto pd = auth::base64url_decode(std::string(p->as_string()));
  if (!pd || pd->size() != point_size || (*pd)[0] != 0x04)
    return refuse(why,
                  "keys.p256dh is a P-256 public key: 65 bytes in base64url");
  auto ad = auth::base64url_decode(std::string(a->as_string()));
  if (!ad || ad->size() != auth_size)
    return refuse(why, "keys.auth is 16 bytes in base64url");
  return webpush_subscription{url, *aud, *pd, *ad};
}

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

}  // namespace switchboard::push
