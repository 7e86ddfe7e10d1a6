#pragma once

#include <optional>
#include <string>

namespace switchboard::push {

// A browser's push subscription, the device token of platform "webpush":
// PushSubscription.toJSON(), {"endpoint": URL, "keys": {"p256dh": ...,
// "auth": ...}} with the keys in base64url.
struct webpush_subscription {
  std::string endpoint;
  std::string origin;  // the endpoint's, VAPID's audience
  std::string p256dh;  // the browser's P-256 public key, decoded
  std::string auth;    // its auth secret, decoded
};

// `token` as a subscription, or nothing, with `why` (when given) saying
// what is wrong in words a client can act on. The endpoint must be an
// https: URL; an http: one too when `allow_http` (--webpush-allow-private,
// a push service inside one's own network or a test's). Where the endpoint
// may connect is checked when it does (is_public_address).
std::optional<webpush_subscription> parse_webpush_subscription(
    const std::string& token, bool allow_http, std::string* why = nullptr);

// The VAPID audience of a push endpoint (RFC 8292 §2): its origin as RFC
// 6454 writes it, "https://host" with the scheme and host in lower case
// and the port only when it is not the scheme's default. Nothing when the
// endpoint is not an absolute http: or https: URL with a host.
std::optional<std::string> vapid_audience(const std::string& url);

}  // namespace switchboard::push
