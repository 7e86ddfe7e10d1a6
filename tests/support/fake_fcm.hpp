#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <boost/json.hpp>
#include <map>
#include <mutex>
#include <string>

#include "auth/base64url.hpp"
#include "tests/support/fake_http_server.hpp"

namespace switchboard::testing {

// A local FCM that checks what FCM checks: the OAuth token exchange (an
// RS256 assertion of the service account, verified with its public key,
// with its issuer, audience and scope) and the bearer of every send. Its
// service account's key is made here; credentials() is the JSON key file
// a node is given. The answer to a send is the test's (`answer`).
class fake_fcm {
 public:
  fake_fcm() {
    key_ = EVP_RSA_gen(2048);
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()),
                                                  &BIO_free);
    PEM_write_bio_PrivateKey(bio.get(), key_, nullptr, nullptr, 0, nullptr,
                             nullptr);
    char* data = nullptr;
    auto n = BIO_get_mem_data(bio.get(), &data);
    pem_.assign(data, static_cast<std::size_t>(n));
  }
  ~fake_fcm() { EVP_PKEY_free(key_); }

  std::string credentials() const {
    return boost::json::serialize(boost::json::object{
        {"type", "service_account"},
        {"project_id", "proj"},
        {"client_email", "push@proj.iam.gserviceaccount.com"},
        {"private_key", pem_},
        {"token_uri", server.url() + "/token"}});
  }
  std::string url() const { return server.url(); }

  void answer(int status, std::string body) {
    std::lock_guard<std::mutex> l(m_);
    status_ = status;
    body_ = std::move(body);
  }
  int tokens_issued() {
    std::lock_guard<std::mutex> l(m_);
    return issued_;
  }
  // The sends that carried a valid bearer, their bodies' "message".
  std::vector<boost::json::object> messages() {
    std::lock_guard<std::mutex> l(m_);
    return messages_;
  }
  // What was wrong with a request, if anything was.
  std::string problem() {
    std::lock_guard<std::mutex> l(m_);
    return problem_;
  }

 private:
  fake_http_server::response handle(const fake_http_server::request& r) {
    std::lock_guard<std::mutex> l(m_);
    if (r.target == "/token") return token(r);
    if (r.target != "/v1/projects/proj/messages:send") {
      problem_ = "unexpected path " + r.target;
      return {404, {}, "{}"};
    }
    auto auth = r.headers.count("authorization") ? r.headers.at("authorization")
                                                 : std::string();
    if (auth != "Bearer tok-" + std::to_string(issued_) || issued_ == 0)
      return {401, {}, R"({"error":{"code":401,"status":"UNAUTHENTICATED"}})"};
    messages_.push_back(boost::json::parse(r.body).at("message").as_object());
    return {status_, {}, body_};
  }

  fake_http_server::response token(const fake_http_server::request& r) {
    const std::string prefix =
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&"
        "assertion=";
    if (r.body.rfind(prefix, 0) != 0) {
      problem_ = "token request: " + r.body;
      return {400, {}, R"({"error":"invalid_grant"})"};
    }
    auto jwt = r.body.substr(prefix.size());
    auto dot1 = jwt.find('.'), dot2 = jwt.rfind('.');
    auto header = auth::base64url_decode(jwt.substr(0, dot1));
    auto claims = auth::base64url_decode(jwt.substr(dot1 + 1, dot2 - dot1 - 1));
    auto sig = auth::base64url_decode(jwt.substr(dot2 + 1));
    if (!header || !claims || !sig || !verify(jwt.substr(0, dot2), *sig)) {
      problem_ = "assertion not signed by the account's key";
      return {400, {}, R"({"error":"invalid_grant"})"};
    }
    auto c = boost::json::parse(*claims).as_object();
    if (boost::json::parse(*header).at("alg") != "RS256" ||
        c.at("iss") != "push@proj.iam.gserviceaccount.com" ||
        c.at("aud") != boost::json::value(server.url() + "/token") ||
        c.at("scope") != "https://www.googleapis.com/auth/firebase.messaging" ||
        c.at("exp").as_int64() - c.at("iat").as_int64() > 3600) {
      problem_ = "assertion claims: " + *claims;
      return {400, {}, R"({"error":"invalid_grant"})"};
    }
    ++issued_;
    return {200,
            {},
            R"({"access_token":"tok-)" + std::to_string(issued_) +
                R"(","expires_in":3599,"token_type":"Bearer"})"};
  }

  bool verify(const std::string& input, const std::string& sig) {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(
        EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    return EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr,
                                key_) == 1 &&
           EVP_DigestVerify(
               ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()),
               sig.size(), reinterpret_cast<const unsigned char*>(input.data()),
               input.size()) == 1;
  }

  EVP_PKEY* key_ = nullptr;
  std::string pem_;
  std::mutex m_;
  int status_ = 200;
  std::string body_ = R"({"name":"projects/proj/messages/1"})";
  int issued_ = 0;
  std::vector<boost::json::object> messages_;
  std::string problem_;
  // Last: it goes first, before what its threads use.
  fake_http_server server{
      [this](const fake_http_server::request& r) { return handle(r); }};
};

}  // namespace switchboard::testing
