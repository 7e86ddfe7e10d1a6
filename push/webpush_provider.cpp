#include "push/webpush_provider.hpp"

#include <openssl/sha.h>

#include <boost/json.hpp>
#include <chrono>
#include <stdexcept>

#include "auth/base64url.hpp"
#include "common/clock.hpp"
#include "push/gateway_provider.hpp"
#include "push/webpush_crypto.hpp"
#include "push/webpush_subscription.hpp"

namespace switchboard::push {

namespace json = boost::json;

namespace {

// What a push service keeps an undelivered push for.
constexpr const char* ttl_s = "86400";
// VAPID tokens live at most a day (RFC 8292 §2); these, 12 hours.
constexpr std::int64_t vapid_life_s = 12 * 3600;
// A name that resolved to no public address is asked again after this
// (DNS answers change in minutes, not milliseconds).
constexpr std::chrono::milliseconds not_public_retry{60'000};

// A Topic (at most 32 characters of base64url) per conversation.
std::string topic(const std::string& conv) {
  unsigned char h[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(conv.data()), conv.size(), h);
  return auth::base64url_encode(
      std::string_view(reinterpret_cast<const char*>(h), 24));
}

}  // namespace

webpush_provider::webpush_provider(std::shared_ptr<http_client> http,
                                   const std::string& vapid_pem,
                                   std::string subject, bool allow_private)
    : http_(std::move(http)),
      vapid_(vapid_pem, jwt_signer::alg::es256),
      subject_(std::move(subject)),
      allow_private_(allow_private) {
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
  std::string why;
  auto sub = parse_webpush_subscription(to.token, allow_private_, &why);
  outcome bad;
  bad.what = outcome::kind::gone;
  bad.reason = "not_a_subscription";
  // Registered before the rules were checked (POST /v1/devices checks
  // them now), or with --webpush-allow-private on then.
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
                if (res.not_public) {
                  // The endpoint's name resolved only to addresses that
                  // are not public: someone's attempt to reach into this
                  // network, or this network's DNS (a sinkhole, a split
                  // horizon) answering for a real push service. No
                  // connection was opened; the device is kept and the
                  // push waits, so that a DNS fault does not remove every
                  // browser's subscription (addresses that are never
                  // public are refused as subscriptions).
                  outcome o;
                  o.what = outcome::kind::retry;
                  o.retry_after = not_public_retry;
                  o.reason = "endpoint_not_public";
                  return done(o);
                }
                done(common_outcome(res));
              });
}

}  // namespace switchboard::push
