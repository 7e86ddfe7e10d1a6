#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <boost/json.hpp>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "tests/support/es256_check.hpp"
#include "tests/support/fake_h2_server.hpp"

namespace switchboard::testing {

// A local APNs: HTTP/2 over TLS only (fake_h2_server), checking what APNs
// checks: POST /3/device/TOKEN, a provider token (an ES256 JWT with the
// key's kid, iss the team, iat within the hour) that verifies with the
// key it made (key_pem(), a .p8 as Apple hands out), apns-topic,
// apns-push-type and its priority, apns-expiration, apns-collapse-id, and
// a payload of at most 4 KB with an `aps` (a background push: only
// content-available). A request it refuses is a 400/403 with APNs' reason
// and a problem(); tokens are answered as the test says.
class fake_apns {
 public:
  static constexpr const char* key_id = "KEY1234567";
  static constexpr const char* team_id = "TEAM123456";
  static constexpr const char* topic = "org.example.chat";

  struct push {
    std::string token;
    std::map<std::string, std::string> headers;
    boost::json::object payload;
    std::string jwt;
  };

  fake_apns() : key_(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")) {}
  ~fake_apns() = default;

  std::string key_pem() const {
    auto* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PKCS8PrivateKey(bio, key_.get(), nullptr, nullptr, 0, nullptr,
                                  nullptr);
    char* data = nullptr;
    auto n = BIO_get_mem_data(bio, &data);
    std::string pem(data, static_cast<std::size_t>(n));
    BIO_free(bio);
    return pem;
  }
  std::string url() const { return server.url(); }
  const std::string& ca_file() const { return server.ca_file(); }
  std::size_t connections() const { return server.connections(); }
  bool wait_for(std::size_t n, std::chrono::milliseconds d) const {
    return server.wait_for(n, d);
  }
  std::vector<fake_h2_server::request> requests() const {
    return server.requests();
  }

  // Every later request (that passes the checks) is answered so.
  void answer(int status, std::string reason = {}) {
    std::lock_guard<std::mutex> l(m_);
    status_ = status;
    reason_ = std::move(reason);
  }
  // `token` is no longer valid since `since_ms`: 410 Unregistered.
  void unregister(const std::string& token, std::int64_t since_ms) {
    std::lock_guard<std::mutex> l(m_);
    unregistered_[token] = since_ms;
  }
  // The provider tokens seen so far are expired: 403 ExpiredProviderToken.
  void expire_tokens() {
    std::lock_guard<std::mutex> l(m_);
    for (auto& p : pushes_) expired_.insert(p.jwt);
    for (auto& j : seen_jwts_) expired_.insert(j);
  }
  // Pushes answered 200, in order.
  std::vector<push> pushes() {
    std::lock_guard<std::mutex> l(m_);
    return pushes_;
  }
  std::string problem() {
    std::lock_guard<std::mutex> l(m_);
    return problem_;
  }

 private:
  using response = fake_h2_server::response;

  response refuse(int status, const std::string& reason, std::string why) {
    problem_ = std::move(why);
    return {status,
            {},
            boost::json::serialize(boost::json::object{{"reason", reason}})};
  }

  response handle(const fake_h2_server::request& r) {
    std::lock_guard<std::mutex> l(m_);
    auto h = [&](const char* n) {
      auto it = r.headers.find(n);
      return it == r.headers.end() ? std::string() : it->second;
    };
    const std::string prefix = "/3/device/";
    auto token =
        r.target.rfind(prefix, 0) == 0 ? r.target.substr(prefix.size()) : "";
    if (r.method != "POST" || token.empty() ||
        token.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
      return refuse(400, "BadPath",
                    "bad request: " + r.method + " " + r.target);
    auto auth = h("authorization");
    if (auth.rfind("bearer ", 0) != 0)
      return refuse(403, "MissingProviderToken", "no bearer: " + auth);
    auto jwt = auth.substr(7);
    seen_jwts_.insert(jwt);
    auto t = es256_check(jwt, key_.get());
    auto now = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    if (!t || t->header.if_contains("alg") == nullptr ||
        t->header.at("alg") != "ES256" ||
        t->header.if_contains("kid") == nullptr ||
        t->header.at("kid") != key_id ||
        t->claims.if_contains("iss") == nullptr ||
        t->claims.at("iss") != team_id ||
        t->claims.if_contains("iat") == nullptr ||
        !t->claims.at("iat").is_int64() ||
        t->claims.at("iat").as_int64() < now - 3600 ||
        t->claims.at("iat").as_int64() > now + 60)
      return refuse(403, "InvalidProviderToken", "provider token: " + jwt);
    if (expired_.count(jwt))
      return {403, {}, R"({"reason":"ExpiredProviderToken"})"};
    auto type = h("apns-push-type");
    auto prio = h("apns-priority");
    if (h("apns-topic") != topic)
      return refuse(400, "BadTopic", "topic: " + h("apns-topic"));
    if (!((type == "alert" && prio == "10") ||
          (type == "background" && prio == "5")))
      return refuse(400, "InvalidPushType",
                    "type " + type + ", priority " + prio);
    auto exp = h("apns-expiration");
    if (exp.empty() ||
        exp.find_first_not_of("0123456789") != std::string::npos ||
        std::stoll(exp) <= now)
      return refuse(400, "BadExpirationDate", "expiration: " + exp);
    auto collapse = h("apns-collapse-id");
    if (collapse.empty() || collapse.size() > 64)
      return refuse(400, "BadCollapseId", "collapse id: " + collapse);
    boost::system::error_code ec;
    auto body = boost::json::parse(r.body, ec);
    if (r.body.size() > 4096)
      return refuse(413, "PayloadTooLarge",
                    "payload of " + std::to_string(r.body.size()));
    if (ec || !body.is_object() || !body.as_object().contains("aps") ||
        !body.as_object().at("aps").is_object())
      return refuse(400, "PayloadEmpty", "payload: " + r.body);
    auto& aps = body.as_object().at("aps").as_object();
    if (type == "background" &&
        (aps.contains("alert") || aps.contains("badge") ||
         aps.contains("sound") || !aps.contains("content-available")))
      return refuse(400, "BadPayload", "background payload: " + r.body);
    if (auto it = unregistered_.find(token); it != unregistered_.end())
      return {410,
              {},
              boost::json::serialize(boost::json::object{
                  {"reason", "Unregistered"}, {"timestamp", it->second}})};
    if (status_ != 200)
      return {status_,
              {},
              reason_.empty() ? std::string()
                              : boost::json::serialize(
                                    boost::json::object{{"reason", reason_}})};
    pushes_.push_back({token, r.headers, body.as_object(), jwt});
    return {200, {{"apns-id", "id-" + std::to_string(pushes_.size())}}, ""};
  }

  struct key_free {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
  };
  std::unique_ptr<EVP_PKEY, key_free> key_;
  std::mutex m_;
  int status_ = 200;
  std::string reason_;
  std::map<std::string, std::int64_t> unregistered_;
  std::set<std::string> expired_, seen_jwts_;
  std::vector<push> pushes_;
  std::string problem_;
  // Last: it goes first, before what its threads use.
  fake_h2_server server{
      [this](const fake_h2_server::request& r) { return handle(r); }};
};

}  // namespace switchboard::testing
