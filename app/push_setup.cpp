#include "app/push_setup.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "app/config.hpp"
#include "app/log.hpp"
#include "push/service.hpp"

namespace switchboard::app {

namespace {

// A provider's key file, whole; false (and a log line) when unread.
bool read_key(const std::string& option, const std::string& file,
              std::string& out) {
  if (file.empty()) return true;
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  out = text.str();
  if (in && !out.empty()) return true;
  log("error", "bad_config",
      {{"error", "--" + option + ": cannot read " + file}});
  return false;
}

const char* why_off(const std::string& provider) {
  if (provider == "gateway") return "no --push-gateway-url";
  if (provider == "fcm") return "no --fcm-credentials";
  if (provider == "webpush") return "no --webpush-vapid-key";
  if (provider == "apns") return "no --apns-key";
  return "not configured";
}

}  // namespace

std::unique_ptr<push::service> make_push_service(const config& cfg,
                                                 storage::store& store,
                                                 metrics::log_sink sink,
                                                 metrics::node_metrics& m,
                                                 bool& ok) {
  ok = false;
  if (!cfg.push_gateway_url.empty() && cfg.push_gateway_app_id.empty()) {
    log("error", "bad_config",
        {{"error", "--push-gateway-url needs --push-gateway-app-id"}});
    return nullptr;
  }
  push::service_options po;
  po.grace = std::chrono::milliseconds(cfg.push_grace_ms);
  po.gateway_url = cfg.push_gateway_url;
  po.gateway_app_id = cfg.push_gateway_app_id;
  po.preview = cfg.push_preview;
  po.fcm_url = cfg.fcm_url;
  po.webpush_subject = cfg.webpush_subject;
  po.webpush_allow_private = cfg.webpush_allow_private;
  po.apns_key_id = cfg.apns_key_id;
  po.apns_team_id = cfg.apns_team_id;
  po.apns_topic = cfg.apns_topic;
  po.apns_url = cfg.apns_url;
  po.ca_file = cfg.push_ca_file;
  if (!read_key("fcm-credentials", cfg.fcm_credentials, po.fcm_credentials) ||
      !read_key("webpush-vapid-key", cfg.webpush_vapid_key,
                po.webpush_vapid_key) ||
      !read_key("apns-key", cfg.apns_key, po.apns_key))
    return nullptr;
  if (!cfg.push_ca_file.empty()) {
    std::string unused;
    if (!read_key("push-ca-file", cfg.push_ca_file, unused)) return nullptr;
  }
  std::unique_ptr<push::service> s;
  try {
    s = std::make_unique<push::service>(store, po, std::move(sink), &m);
  } catch (const std::invalid_argument& e) {
    log("error", "bad_config", {{"error", std::string("push: ") + e.what()}});
    return nullptr;
  }
  ok = true;
  for (auto& p : s->providers_off())
    log("info", "push_provider_off", {{"provider", p}, {"why", why_off(p)}});
  if (!s->enabled()) return nullptr;
  return s;
}

}  // namespace switchboard::app
