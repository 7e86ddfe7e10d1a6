#pragma once

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>

#include <boost/json.hpp>
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "auth/base64url.hpp"
#include "tests/support/es256_check.hpp"
#include "tests/support/fake_http_server.hpp"

namespace switchboard::testing {

// A local push service, and the browser of one subscription to it: it
// checks what a push service and a browser check. The VAPID authorization
// (an ES256 JWT for this origin, verified with the key in `k`, not
// expired), the aes128gcm coding, and the payload decrypted with the
// subscription's private key and auth secret (RFC 8291) as a browser does.
// The answer is the test's (`answer`); decrypted payloads in `payloads`.
class fake_webpush {
 public:
  fake_webpush() {
    ua_ = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    ua_public_ = point(ua_);
    auth_.resize(16);
    RAND_bytes(reinterpret_cast<unsigned char*>(auth_.data()), 16);
  }
  ~fake_webpush() { EVP_PKEY_free(ua_); }

  // The device token: PushSubscription.toJSON() of this subscription.
  std::string subscription(const std::string& path = "/push/sub-1") const {
    return boost::json::serialize(boost::json::object{
        {"endpoint", server.url() + path},
        {"keys",
         boost::json::object{{"p256dh", auth::base64url_encode(ua_public_)},
                             {"auth", auth::base64url_encode(auth_)}}}});
  }
  void answer(int status) {
    std::lock_guard<std::mutex> l(m_);
    status_ = status;
  }
  std::vector<boost::json::object> payloads() {
    std::lock_guard<std::mutex> l(m_);
    return payloads_;
  }
  std::vector<fake_http_server::request> requests() const {
    return server.requests();
  }
  std::string problem() {
    std::lock_guard<std::mutex> l(m_);
    return problem_;
  }
  // The `sub` (the server's contact) of the last VAPID token.
  std::string subject() {
    std::lock_guard<std::mutex> l(m_);
    return subject_;
  }

 private:
  static std::string point(EVP_PKEY* k) {
    unsigned char buf[65];
    std::size_t len = 0;
    EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, buf,
                                    sizeof buf, &len);
    return std::string(reinterpret_cast<char*>(buf), len);
  }
  static EVP_PKEY* from_point(const std::string& p) {
    auto* bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                    "prime256v1", 0);
    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, p.data(),
                                     p.size());
    auto* params = OSSL_PARAM_BLD_to_param(bld);
    auto* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
    EVP_PKEY* k = nullptr;
    if (EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params) != 1)
      k = nullptr;
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    return k;
  }
  static std::string mac(const std::string& key, const std::string& data) {
    unsigned char out[32];
    unsigned int n = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
         &n);
    return std::string(reinterpret_cast<char*>(out), n);
  }

  // The VAPID authorization: "vapid t=JWT, k=KEY".
  bool vapid_ok(const std::string& header) {
    auto t = header.find("t="), k = header.find("k=");
    if (header.rfind("vapid ", 0) != 0 || t == std::string::npos ||
        k == std::string::npos)
      return fail("no vapid authorization: " + header);
    auto jwt = header.substr(t + 2, header.find(',', t) - t - 2);
    auto key = auth::base64url_decode(header.substr(k + 2));
    if (!key) return fail("malformed vapid key");
    auto* pub = from_point(*key);
    auto token = es256_check(jwt, pub);
    EVP_PKEY_free(pub);
    if (!token) return fail("vapid signature does not verify with k");
    auto& c = token->claims;
    auto now = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    if (c.at("aud") != boost::json::value(server.url()) ||
        c.at("exp").as_int64() <= now ||
        c.at("exp").as_int64() > now + 24 * 3600)
      return fail("vapid claims: " + boost::json::serialize(c));
    if (auto* sub = c.if_contains("sub"); sub && sub->is_string())
      subject_ = std::string(sub->as_string());
    return true;
  }

  // RFC 8291 as a browser decrypts it.
  std::optional<std::string> decrypt(const std::string& body) {
    if (body.size() < 21 + 65 + 16) return std::nullopt;
    auto salt = body.substr(0, 16);
    auto idlen = static_cast<unsigned char>(body[20]);
    auto as_public = body.substr(21, idlen);
    auto ct = body.substr(21 + idlen);
    auto* as = from_point(as_public);
    auto* dctx = EVP_PKEY_CTX_new(ua_, nullptr);
    std::string secret(32, '\0');
    std::size_t slen = 32;
    bool ok =
        as && EVP_PKEY_derive_init(dctx) == 1 &&
        EVP_PKEY_derive_set_peer(dctx, as) == 1 &&
        EVP_PKEY_derive(dctx, reinterpret_cast<unsigned char*>(secret.data()),
                        &slen) == 1;
    EVP_PKEY_CTX_free(dctx);
    EVP_PKEY_free(as);
    if (!ok) return std::nullopt;
    std::string info =
        std::string("WebPush: info") + '\0' + ua_public_ + as_public + '\x01';
    auto ikm = mac(mac(auth_, secret), info);
    auto prk = mac(salt, ikm);
    auto cek = mac(prk, std::string("Content-Encoding: aes128gcm\0\x01", 29))
                   .substr(0, 16);
    auto nonce = mac(prk, std::string("Content-Encoding: nonce\0\x01", 25))
                     .substr(0, 12);
    auto* c = EVP_CIPHER_CTX_new();
    std::string plain(ct.size(), '\0');
    int len = 0, fin = 0;
    auto tag = ct.substr(ct.size() - 16);
    ok =
        EVP_DecryptInit_ex(c, EVP_aes_128_gcm(), nullptr, nullptr, nullptr) ==
            1 &&
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, nullptr) == 1 &&
        EVP_DecryptInit_ex(
            c, nullptr, nullptr,
            reinterpret_cast<const unsigned char*>(cek.data()),
            reinterpret_cast<const unsigned char*>(nonce.data())) == 1 &&
        EVP_DecryptUpdate(c, reinterpret_cast<unsigned char*>(plain.data()),
                          &len,
                          reinterpret_cast<const unsigned char*>(ct.data()),
                          static_cast<int>(ct.size() - 16)) == 1 &&
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag.data()) == 1 &&
        EVP_DecryptFinal_ex(
            c, reinterpret_cast<unsigned char*>(plain.data()) + len, &fin) == 1;
    EVP_CIPHER_CTX_free(c);
    if (!ok) return std::nullopt;
    plain.resize(static_cast<std::size_t>(len + fin));
    while (!plain.empty() && plain.back() == '\0') plain.pop_back();
    if (plain.empty() || plain.back() != '\x02') return std::nullopt;
    plain.pop_back();
    return plain;
  }

  bool fail(std::string why) {
    problem_ = std::move(why);
    return false;
  }

  fake_http_server::response handle(const fake_http_server::request& r) {
    std::lock_guard<std::mutex> l(m_);
    auto h = [&](const char* n) {
      return r.headers.count(n) ? r.headers.at(n) : std::string();
    };
    if (!vapid_ok(h("authorization"))) return {401, {}, ""};
    if (h("content-encoding") != "aes128gcm" || h("ttl").empty() ||
        h("topic").empty() || h("topic").size() > 32) {
      fail("headers: encoding " + h("content-encoding") + ", ttl " + h("ttl") +
           ", topic " + h("topic"));
      return {400, {}, ""};
    }
    auto plain = decrypt(r.body);
    if (!plain) {
      fail("the payload does not decrypt with the subscription's keys");
      return {400, {}, ""};
    }
    payloads_.push_back(boost::json::parse(*plain).as_object());
    return {status_, {}, ""};
  }

  EVP_PKEY* ua_ = nullptr;
  std::string ua_public_, auth_;
  std::mutex m_;
  int status_ = 201;
  std::vector<boost::json::object> payloads_;
  std::string problem_;
  std::string subject_;
  // Last: it goes first, before what its threads use.
  fake_http_server server{
      [this](const fake_http_server::request& r) { return handle(r); }};
};

}  // namespace switchboard::testing
