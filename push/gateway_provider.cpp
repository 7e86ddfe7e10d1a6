#include "push/gateway_provider.hpp"

#include <boost/json.hpp>
#include <ctime>

#include "common/clock.hpp"
#include "push/backoff.hpp"

namespace switchboard::push {

namespace json = boost::json;

outcome common_outcome(const http_client::response& r) {
  outcome o;
  if (r.status == 0) {
    o.what = outcome::kind::retry;
    o.reason = "unreachable";
    return o;
  }
  if (r.status >= 200 && r.status < 300) return o;
  if (r.status == 429 || r.status >= 500) {
    o.what = outcome::kind::retry;
    o.reason = "http_" + std::to_string(r.status);
    if (auto h = r.header("retry-after"))
      if (auto d = parse_retry_after(*h, common::unix_s())) o.retry_after = *d;
    return o;
  }
  o.what = r.status == 404 || r.status == 410 ? outcome::kind::gone
                                              : outcome::kind::failed;
  o.reason = "http_" + std::to_string(r.status);
  return o;
}

gateway_provider::gateway_provider(std::shared_ptr<http_client> http,
                                   std::string base_url, std::string app_id)
    : http_(std::move(http)), app_id_(std::move(app_id)) {
  while (!base_url.empty() && base_url.back() == '/') base_url.pop_back();
  url_ = base_url + "/_matrix/push/v1/notify";
}

std::string gateway_provider::body(const target& to,
                                   const notification& n) const {
  json::object device{{"app_id", app_id_},
                      {"pushkey", to.token},
                      {"pushkey_ts", to.registered_ms / 1000}};
  json::object note{{"devices", json::array{std::move(device)}},
                    {"counts", json::object{{"unread", n.badge}}}};
  if (n.clear) {
    note["prio"] = "low";  // counts only: the badge, nothing to show
  } else {
    note["event_id"] = n.conv_id + ":" + std::to_string(n.msg_id);
    note["room_id"] = n.conv_id;
    note["type"] = "m.room.message";
    note["sender"] = n.sender;
    note["prio"] = "high";
    if (!n.preview.empty())
      note["content"] =
          json::object{{"msgtype", "m.text"}, {"body", n.preview}};
  }
  return json::serialize(json::object{{"notification", std::move(note)}});
}

void gateway_provider::send(const target& to, const notification& n,
                            std::function<void(outcome)> done) {
  http_client::request r;
  r.url = url_;
  r.headers = {{"Content-Type", "application/json"}};
  r.body = body(to, n);
  http_->send(std::move(r), [token = to.token, done = std::move(done)](
                                http_client::response res) {
    auto o = common_outcome(res);
    if (o.what == outcome::kind::gone) {
      // A gateway answers 404 for a wrong path, not for a device: that is
      // a configuration to fix, not a device to remove.
      o.what = outcome::kind::failed;
    } else if (o.what == outcome::kind::sent) {
      boost::system::error_code ec;
      auto v = json::parse(res.body, ec);
      if (!ec && v.is_object())
        if (auto* rej = v.as_object().if_contains("rejected");
            rej && rej->is_array())
          for (auto& k : rej->as_array())
            if (k.is_string() && k.as_string() == token) {
              o.what = outcome::kind::gone;
              o.reason = "rejected";
            }
    } else if (o.what == outcome::kind::retry && !res.error.empty()) {
      o.reason = "unreachable";
    }
    done(std::move(o));
  });
}

}  // namespace switchboard::push
