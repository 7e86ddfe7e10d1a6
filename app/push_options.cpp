#include "app/option_defs.hpp"

// The options of push notifications (docs/push.md). A provider without its
// options is off: its devices are kept and nothing is sent to them.
namespace switchboard::app {

namespace {

// An option that is a string of the config, `check` (if any) refusing
// what it cannot be.
option_def text(const char* name, const char* help, std::string config::*field,
                void (*check)(const std::string&) = nullptr) {
  return {name, help, [field](const config& c) { return c.*field; },
          [field, check](config& c, const std::string& v) {
            if (check) check(v);
            c.*field = v;
          }};
}

// Throws `expected` (with what it got) unless `v` starts with one of the
// schemes (http://, https://; https:// only when `tls_only`).
void require_scheme(const std::string& v, bool tls_only, const char* expected) {
  bool ok =
      v.rfind("https://", 0) == 0 || (!tls_only && v.rfind("http://", 0) == 0);
  if (!ok)
    throw std::invalid_argument(std::string(expected) + ", got '" + v + "'");
}

}  // namespace

void add_push_options(std::vector<option_def>& d) {
  d.push_back({"push-grace-ms",
               "milliseconds a member has to receive a message (an ack or "
               "read on any device) before it is pushed; 0: at once",
               [](const config& c) { return std::to_string(c.push_grace_ms); },
               [](config& c, const std::string& v) {
                 c.push_grace_ms = parse_int(v, 0, 24LL * 3600 * 1000);
               }});
  d.push_back(
      bool_option("push-preview",
                  "true: a push carries the start of the message (200 bytes); "
                  "false: ids only, no body through the providers",
                  &config::push_preview));
  d.push_back(text("push-gateway-url",
                   "Matrix push gateway (Sygnal or any other) for devices of "
                   "platform gateway, http(s)://HOST:PORT (empty: off)",
                   &config::push_gateway_url, [](const std::string& v) {
                     if (!v.empty())
                       require_scheme(v, false,
                                      "expected http://HOST:PORT or "
                                      "https://HOST:PORT");
                   }));
  d.push_back(text("push-gateway-app-id",
                   "the app_id the push gateway knows this server's app by",
                   &config::push_gateway_app_id));
  d.push_back(text("fcm-credentials",
                   "FCM: the service account's JSON key file (project_id, "
                   "client_email, private_key, token_uri); empty: FCM off",
                   &config::fcm_credentials));
  d.push_back(text("webpush-vapid-key",
                   "Web Push: this server's VAPID key file (a PEM P-256 "
                   "private key); empty: Web Push off",
                   &config::webpush_vapid_key));
  d.push_back(text("webpush-subject",
                   "Web Push: the contact push services see, mailto:ADDRESS "
                   "or an https: URL",
                   &config::webpush_subject));
  d.push_back(bool_option(
      "webpush-allow-private",
      "true: Web Push endpoints may be http: URLs and private, loopback or "
      "link-local addresses (a push service in your own network, a test's); "
      "false: https: to public addresses only, as browsers' push services "
      "are",
      &config::webpush_allow_private));
  d.push_back(text("fcm-url", "FCM's API, https://HOST[:PORT] (a test's fake)",
                   &config::fcm_url, [](const std::string& v) {
                     require_scheme(v, false, "expected http(s)://HOST[:PORT]");
                   }));
  d.push_back(text("apns-key",
                   "APNs: the provider key file from Apple (AuthKey_ID.p8, an "
                   "EC P-256 key); empty: APNs off",
                   &config::apns_key));
  d.push_back(text("apns-key-id", "APNs: the key's 10-character Key ID",
                   &config::apns_key_id));
  d.push_back(text("apns-team-id", "APNs: the Apple developer Team ID",
                   &config::apns_team_id));
  d.push_back(text("apns-topic", "APNs: the app's bundle id (apns-topic)",
                   &config::apns_topic));
  d.push_back(text("apns-url",
                   "APNs' API, https://HOST[:PORT]: "
                   "https://api.sandbox.push.apple.com for development builds",
                   &config::apns_url, [](const std::string& v) {
                     require_scheme(v, true,
                                    "expected https://HOST[:PORT] (APNs is "
                                    "HTTP/2 over TLS)");
                   }));
  d.push_back(text("push-ca-file",
                   "a PEM file of the certificate authorities to trust for "
                   "the push providers instead of the system's (a TLS "
                   "proxy's own); empty: the system's",
                   &config::push_ca_file));
}

}  // namespace switchboard::app
