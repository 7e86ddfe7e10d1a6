#pragma once

#include <memory>
#include <string>

#include "metrics/log_sink.hpp"
#include "push/http_client.hpp"
#include "push/provider.hpp"

namespace switchboard::push {

// Firebase Cloud Messaging, HTTP v1 API, for devices of platform "fcm".
// Its OAuth 2.0 access token comes from the service account: an RS256-signed
// assertion (iss the account's client_email, aud its token_uri, scope
// firebase.messaging) exchanged at token_uri, and cached until a minute
// before it expires (sends that come while it is fetched wait for it). A
// message is a data message with the ids and the badge, collapsed per
// conversation (android.collapse_key). UNREGISTERED, and INVALID_ARGUMENT
// for the token, remove the device; QUOTA_EXCEEDED waits at least a minute;
// 401 fetches a new token.
class fcm_provider final : public provider {
 public:
  // `credentials_json`: the service account's JSON key (project_id,
  // client_email, private_key, token_uri); throws std::invalid_argument
  // saying what is wrong with it. `api_url`: FCM's, without a path.
  fcm_provider(std::shared_ptr<http_client> http,
               const std::string& credentials_json, std::string api_url,
               metrics::log_sink log);
  ~fcm_provider() override;
  const char* name() const override { return "fcm"; }
  void send(const target& to, const notification& n,
            std::function<void(outcome)> done) override;

  // The JSON body of a send (for tests).
  std::string body(const target& to, const notification& n) const;

  struct state;  // fcm_provider.cpp

 private:
  std::shared_ptr<state> st_;
};

}  // namespace switchboard::push
