#pragma once

#include <memory>
#include <string>

#include "push/http_client.hpp"
#include "push/provider.hpp"

namespace switchboard::push {

// The Matrix push gateway protocol (`POST /_matrix/push/v1/notify`, the
// Push Gateway API of the Matrix specification), so that Sygnal or any
// gateway speaking it delivers the pushes of devices registered with
// platform "gateway": the device's token is the pushkey, `app_id` the
// node's --push-gateway-app-id. A message is a notification with its ids
// (event_id "CONV:MSG_ID", room_id the conversation); a read elsewhere is a
// counts-only notification (no event_id: the badge) at low priority. The
// gateway's `rejected` pushkeys are devices to remove.
class gateway_provider final : public provider {
 public:
  // `base_url`: the gateway's, without the path ("http://host:port").
  gateway_provider(std::shared_ptr<http_client> http, std::string base_url,
                   std::string app_id);
  const char* name() const override { return "gateway"; }
  void send(const target& to, const notification& n,
            std::function<void(outcome)> done) override;

  // The JSON body of a notify request (for tests and the fake gateway).
  std::string body(const target& to, const notification& n) const;

 private:
  std::shared_ptr<http_client> http_;
  std::string url_;
  std::string app_id_;
};

// How an HTTP answer of a provider ends a send, where the provider follows
// the common rules: 2xx sent; 429 and 5xx retry (after Retry-After, if
// given); no answer retry; 404 and 410 gone; any other failed.
outcome common_outcome(const http_client::response& r);

}  // namespace switchboard::push
