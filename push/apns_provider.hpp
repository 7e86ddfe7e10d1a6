#pragma once

#include <memory>
#include <string>

#include "push/http_client.hpp"
#include "push/provider.hpp"

namespace switchboard::push {

struct apns_options {
  std::string key_pem;  // the .p8 key's contents (PEM, an EC P-256 key)
  std::string key_id;   // its 10-character Key ID
  std::string team_id;  // the Apple developer team's
  std::string topic;    // the app's bundle id
  std::string url = "https://api.push.apple.com";
};

// Apple Push Notification service for devices of platform "apns", whose
// token is the device token (hex). HTTP/2 only, as APNs requires: every
// request shares one connection with many streams. The provider token is
// an ES256 JWT {iss: team, iat} with the key's `kid`, made once and reused
// for 40 minutes (APNs refuses one older than an hour, and a new one more
// often than every 20 minutes). A message is an alert (apns-push-type
// alert, priority 10) with the badge and a collapse id per conversation; a
// read elsewhere is a background push (priority 5) that tells the app to
// clear the conversation and set the badge. 410 Unregistered removes the
// device unless it registered again after APNs' timestamp; BadDeviceToken
// and DeviceTokenNotForTopic remove it too; ExpiredProviderToken makes a
// new token and retries; 429 and 5xx retry.
class apns_provider final : public provider {
 public:
  // Throws std::invalid_argument when the key is not an EC P-256 key or an
  // id or the topic is missing.
  apns_provider(std::shared_ptr<http_client> http, apns_options o);
  ~apns_provider() override;
  const char* name() const override { return "apns"; }
  void send(const target& to, const notification& n,
            std::function<void(outcome)> done) override;

  // The JSON payload of a push (for tests).
  static std::string payload(const notification& n);

 private:
  struct state;
  std::shared_ptr<state> state_;
};

}  // namespace switchboard::push
