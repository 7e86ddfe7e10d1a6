#include "app/option_defs.hpp"

// The options of push notifications (docs/push.md). A provider without its
// options is off: its devices are kept and nothing is sent to them.
namespace switchboard::app {

void add_push_options(std::vector<option_def>& d) {
  d.push_back({"push-grace-ms",
               "milliseconds a member has to receive a message (an ack or "
               "read on any device) before it is pushed; 0: at once",
               [](const config& c) { return std::to_string(c.push_grace_ms); },
               [](config& c, const std::string& v) {
                 c.push_grace_ms = parse_int(v, 0, 24LL * 3600 * 1000);
               }});
  d.push_back({"push-preview",
               "true: a push carries the start of the message (200 bytes); "
               "false: ids only, no body through the providers",
               [](const config& c) {
                 return std::string(c.push_preview ? "true" : "false");
               },
               [](config& c, const std::string& v) {
                 if (v != "true" && v != "false")
                   throw std::invalid_argument("expected true or false, got '" +
                                               v + "'");
                 c.push_preview = v == "true";
               }});
  d.push_back({"push-gateway-url",
               "Matrix push gateway (Sygnal or any other) for devices of "
               "platform gateway, http(s)://HOST:PORT (empty: off)",
               [](const config& c) { return c.push_gateway_url; },
               [](config& c, const std::string& v) {
                 if (!v.empty() && v.rfind("http://", 0) != 0 &&
                     v.rfind("https://", 0) != 0)
                   throw std::invalid_argument(
                       "expected http://HOST:PORT or https://HOST:PORT, got '" +
                       v + "'");
                 c.push_gateway_url = v;
               }});
  d.push_back(
      {"push-gateway-app-id",
       "the app_id the push gateway knows this server's app by",
       [](const config& c) { return c.push_gateway_app_id; },
       [](config& c, const std::string& v) { c.push_gateway_app_id = v; }});
  d.push_back({"fcm-credentials",
               "FCM: the service account's JSON key file (project_id, "
               "client_email, private_key, token_uri); empty: FCM off",
               [](const config& c) { return c.fcm_credentials; },
               [](config& c, const std::string& v) { c.fcm_credentials = v; }});
  d.push_back(
      {"webpush-vapid-key",
       "Web Push: this server's VAPID key file (a PEM P-256 private "
       "key); empty: Web Push off",
       [](const config& c) { return c.webpush_vapid_key; },
       [](config& c, const std::string& v) { c.webpush_vapid_key = v; }});
  d.push_back({"webpush-subject",
               "Web Push: the contact push services see, mailto:ADDRESS or an "
               "https: URL",
               [](const config& c) { return c.webpush_subject; },
               [](config& c, const std::string& v) { c.webpush_subject = v; }});
  d.push_back({"fcm-url", "FCM's API, https://HOST[:PORT] (a test's fake)",
               [](const config& c) { return c.fcm_url; },
               [](config& c, const std::string& v) {
                 if (v.rfind("http://", 0) != 0 && v.rfind("https://", 0) != 0)
                   throw std::invalid_argument(
                       "expected http(s)://HOST[:PORT], got '" + v + "'");
                 c.fcm_url = v;
               }});
  d.push_back({"apns-key",
               "APNs: the provider key file from Apple (AuthKey_ID.p8, an "
               "EC P-256 key); empty: APNs off",
               [](const config& c) { return c.apns_key; },
               [](config& c, const std::string& v) { c.apns_key = v; }});
  d.push_back({"apns-key-id", "APNs: the key's 10-character Key ID",
               [](const config& c) { return c.apns_key_id; },
               [](config& c, const std::string& v) { c.apns_key_id = v; }});
  d.push_back({"apns-team-id", "APNs: the Apple developer Team ID",
               [](const config& c) { return c.apns_team_id; },
               [](config& c, const std::string& v) { c.apns_team_id = v; }});
  d.push_back({"apns-topic", "APNs: the app's bundle id (apns-topic)",
               [](const config& c) { return c.apns_topic; },
               [](config& c, const std::string& v) { c.apns_topic = v; }});
  d.push_back({"apns-url",
               "APNs' API, https://HOST[:PORT]: "
               "https://api.sandbox.push.apple.com for development builds",
               [](const config& c) { return c.apns_url; },
               [](config& c, const std::string& v) {
                 if (v.rfind("https://", 0) != 0)
                   throw std::invalid_argument(
                       "expected https://HOST[:PORT] (APNs is HTTP/2 over "
                       "TLS), got '" +
                       v + "'");
                 c.apns_url = v;
               }});
  d.push_back({"push-ca-file",
               "a PEM file of the certificate authorities to trust for the "
               "push providers instead of the system's (a TLS proxy's own); "
               "empty: the system's",
               [](const config& c) { return c.push_ca_file; },
               [](config& c, const std::string& v) { c.push_ca_file = v; }});
}

}  // namespace switchboard::app
