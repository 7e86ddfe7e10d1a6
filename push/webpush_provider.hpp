#pragma once

#include <memory>
#include <string>

#include "push/http_client.hpp"
#include "push/jwt_signer.hpp"
#include "push/provider.hpp"

namespace switchboard::push {

// Web Push (RFC 8030) for devices of platform "webpush", whose token is the
// browser's subscription as PushSubscription.toJSON() gives it:
// {"endpoint": URL, "keys": {"p256dh": ..., "auth": ...}}. The payload, a
// JSON object of ids and the badge, is encrypted for the subscription
// (RFC 8291, aes128gcm); the request carries the VAPID authorization of
// this server (RFC 8292: an ES256 JWT for the endpoint's origin, signed with
// --webpush-vapid-key, `sub` --webpush-subject), a TTL, an Urgency and a
// Topic per conversation (a newer push replaces an older one the push
// service still holds). 404 and 410 remove the device; so does a token
// that is not a subscription (webpush_subscription.hpp), and an endpoint
// whose address is not public (is_public_address) unless `allow_private`.
// `http` must be a client of its own made with http_client::reach::
// public_only (unless `allow_private`): its connections are not shared
// with the operator's providers, which may be on private addresses.
class webpush_provider final : public provider {
 public:
  // `vapid_pem`: a P-256 private key; throws std::invalid_argument when it
  // is not, or when `subject` is not a mailto: or https: URL.
  // `allow_private`: http: endpoints and private addresses too
  // (--webpush-allow-private).
  webpush_provider(std::shared_ptr<http_client> http,
                   const std::string& vapid_pem, std::string subject,
                   bool allow_private = false);
  const char* name() const override { return "webpush"; }
  void send(const target& to, const notification& n,
            std::function<void(outcome)> done) override;

  // The VAPID public key, base64url of the uncompressed point: what a
  // browser subscribes with (PushManager.subscribe's applicationServerKey).
  std::string public_key() const;

  // The JSON a push decrypts to (for tests).
  static std::string payload(const notification& n);

 private:
  std::shared_ptr<http_client> http_;
  jwt_signer vapid_;  // ES256
  std::string subject_;
  bool allow_private_;
};

}  // namespace switchboard::push
