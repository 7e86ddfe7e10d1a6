#include "push/apns_provider.hpp"

#include <openssl/sha.h>

#include <boost/json.hpp>
#include <chrono>
#include <mutex>
#include <stdexcept>

#include "auth/base64url.hpp"
#include "common/clock.hpp"
#include "push/gateway_provider.hpp"
#include "push/jwt_signer.hpp"

namespace switchboard::push {

namespace json = boost::json;

namespace {

using clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Inside APNs' window: no older than 60 minutes, no newer every 20.
constexpr auto token_life = 40min;
// What APNs keeps an undelivered push for (as Web Push's TTL).
constexpr std::int64_t expiration_s = 24 * 3600;
// apns-collapse-id is at most 64 bytes.
constexpr std::size_t collapse_max = 64;

std::string collapse_id(const std::string& conv) {
  if (conv.size() <= collapse_max) return conv;
  unsigned char h[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(conv.data()), conv.size(), h);
  return auth::base64url_encode(
      std::string_view(reinterpret_cast<const char*>(h), sizeof h));
}

std::string reason_of(const std::string& body, std::int64_t* timestamp) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec || !v.is_object()) return {};
  auto& o = v.as_object();
  if (auto* t = o.if_contains("timestamp"); t && timestamp && t->is_number()) {
    boost::system::error_code bad;  // a fraction or out of range: none
    auto v = t->to_number<std::int64_t>(bad);
    if (!bad) *timestamp = v;
  }
  auto* r = o.if_contains("reason");
  return r && r->is_string() ? std::string(r->as_string()) : std::string();
}

}  // namespace

struct apns_provider::state {
  std::weak_ptr<http_client> http;  // its callbacks hold this state
  apns_options o;
  jwt_signer signer;  // ES256
  std::string url;    // up to /3/device/

  std::mutex m;
  std::string token;  // the provider token, made at `made`
  clock::time_point made{};

  state(std::shared_ptr<http_client> h, apns_options opts)
      : http(h), o(std::move(opts)), signer(o.key_pem, jwt_signer::alg::es256) {
    auto u = o.url;
    while (!u.empty() && u.back() == '/') u.pop_back();
    url = u + "/3/device/";
  }

  std::string current() {
    std::lock_guard<std::mutex> l(m);
    auto now = clock::now();
    if (token.empty() || now - made >= token_life) {
      auto iat = common::unix_s();
      token = signer.jwt(
          json::serialize(json::object{{"iss", o.team_id}, {"iat", iat}}),
          "\"kid\":" + json::serialize(json::value(o.key_id)));
      made = now;
    }
    return token;
  }
  // APNs said `used` expired: the next send makes a new one.
  void expired(const std::string& used) {
    std::lock_guard<std::mutex> l(m);
    if (token == used) token.clear();
  }
};

namespace {

// The options' ids first: they say more than the key's error would.
apns_options checked(apns_options o) {
  if (o.key_id.empty() || o.team_id.empty() || o.topic.empty())
    throw std::invalid_argument(
        "APNs needs --apns-key-id, --apns-team-id and --apns-topic with "
        "--apns-key");
  if (o.url.rfind("https://", 0) != 0)
    throw std::invalid_argument("--apns-url must be an https: URL, got '" +
                                o.url + "'");
  return o;
}

}  // namespace

apns_provider::apns_provider(std::shared_ptr<http_client> http, apns_options o)
    : state_(std::make_shared<state>(http, checked(std::move(o)))) {}

apns_provider::~apns_provider() = default;

std::string apns_provider::payload(const notification& n) {
  json::object aps;
  json::object o{{"conv_id", n.conv_id}};
  if (n.clear) {
    // A background push may carry no alert, sound or badge: the app clears
    // the conversation's notifications and sets the badge itself.
    aps["content-available"] = 1;
    o["clear"] = true;
    o["badge"] = n.badge;
  } else {
    aps["alert"] = json::object{
        {"title", n.sender},
        {"body", n.preview.empty() ? std::string("New message") : n.preview}};
    aps["badge"] = n.badge;
    aps["sound"] = "default";
    aps["thread-id"] = n.conv_id;
    // The app's notification service extension may fetch the message.
    aps["mutable-content"] = 1;
    o["msg_id"] = n.msg_id;
    o["sender"] = n.sender;
  }
  o["aps"] = std::move(aps);
  return json::serialize(o);
}

void apns_provider::send(const target& to, const notification& n,
                         std::function<void(outcome)> done) {
  auto http = state_->http.lock();
  // A device token is hex (64 characters today, up to 200): anything else
  // would change the request's path.
  bool hex =
      !to.token.empty() && to.token.size() <= 200 &&
      to.token.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos;
  if (!http || !hex) {
    outcome o;
    o.what = http ? outcome::kind::gone : outcome::kind::retry;
    o.reason = http ? "BadDeviceToken" : "stopping";
    return done(o);
  }
  auto jwt = state_->current();
  auto now = common::unix_s();
  http_client::request r;
  r.url = state_->url + to.token;
  r.http = http_client::version::http2_only;
  r.headers = {{"authorization", "bearer " + jwt},
               {"apns-topic", state_->o.topic},
               {"apns-push-type", n.clear ? "background" : "alert"},
               {"apns-priority", n.clear ? "5" : "10"},
               {"apns-expiration", std::to_string(now + expiration_s)},
               {"apns-collapse-id", collapse_id(n.conv_id)},
               {"content-type", "application/json"}};
  r.body = payload(n);
  http->send(std::move(r), [s = state_, jwt, registered = to.registered_ms,
                            done = std::move(done)](http_client::response res) {
    auto o = common_outcome(res);
    if (o.what == outcome::kind::sent || res.status == 0 ||
        o.what == outcome::kind::retry) {
      if (o.what == outcome::kind::retry && res.status == 0 &&
          !res.error.empty())
        o.reason = "unreachable";
      return done(std::move(o));
    }
    std::int64_t gone_since = 0;
    auto reason = reason_of(res.body, &gone_since);
    o.reason = reason.empty() ? o.reason : reason;
    if (res.status == 410) {
      // Unregistered since APNs' timestamp: a token registered again later
      // is a new registration of it, kept.
      o.what = gone_since == 0 || registered <= gone_since
                   ? outcome::kind::gone
                   : outcome::kind::failed;
    } else if (reason == "BadDeviceToken" ||
               reason == "DeviceTokenNotForTopic") {
      o.what = outcome::kind::gone;
    } else if (reason == "ExpiredProviderToken") {
      s->expired(jwt);
      o.what = outcome::kind::retry;
    } else {
      o.what = outcome::kind::failed;
    }
    done(std::move(o));
  });
}

}  // namespace switchboard::push
