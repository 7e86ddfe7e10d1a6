#include "push/jwt_signer.hpp"

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <stdexcept>

#include "auth/base64url.hpp"

namespace switchboard::push {

struct jwt_signer::impl {
  EVP_PKEY* key = nullptr;
  alg a = alg::rs256;
  std::string pub;  // es256
  ~impl() { EVP_PKEY_free(key); }
};

jwt_signer::jwt_signer(const std::string& pem, alg a)
    : impl_(std::make_unique<impl>()) {
  impl_->a = a;
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  if (bio)
    impl_->key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (a == alg::rs256) {
    if (!impl_->key || EVP_PKEY_get_base_id(impl_->key) != EVP_PKEY_RSA)
      throw std::invalid_argument("not an RSA private key in PEM");
    return;
  }
  char group[32] = {0};
  std::size_t glen = 0;
  unsigned char point[65];
  std::size_t plen = 0;
  if (!impl_->key || EVP_PKEY_get_base_id(impl_->key) != EVP_PKEY_EC ||
      EVP_PKEY_get_utf8_string_param(impl_->key, OSSL_PKEY_PARAM_GROUP_NAME,
                                     group, sizeof group, &glen) != 1 ||
      std::string(group) != "prime256v1" ||
      EVP_PKEY_get_octet_string_param(impl_->key,
                                      OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point,
                                      sizeof point, &plen) != 1 ||
      plen != 65)
    throw std::invalid_argument("not a P-256 private key in PEM");
  impl_->pub.assign(reinterpret_cast<char*>(point), plen);
}

jwt_signer::~jwt_signer() = default;

const std::string& jwt_signer::public_key() const { return impl_->pub; }

std::string jwt_signer::jwt(std::string_view claims_json,
                            std::string_view extra_header) const {
  std::string header = R"({"typ":"JWT","alg":")";
  header += impl_->a == alg::rs256 ? "RS256\"" : "ES256\"";
  if (!extra_header.empty()) header.append(",").append(extra_header);
  header += "}";
  auto input = auth::base64url_encode(header) + "." +
               auth::base64url_encode(claims_json);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                              &EVP_MD_CTX_free);
  const auto* in = reinterpret_cast<const unsigned char*>(input.data());
  std::size_t len = 0;
  if (!ctx ||
      EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr,
                         impl_->key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, in, input.size()) != 1)
    throw std::runtime_error("JWT signing failed");
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()),
                     &len, in, input.size()) != 1)
    throw std::runtime_error("JWT signing failed");
  sig.resize(len);
  if (impl_->a == alg::es256) {
    // DER's ECDSA-Sig-Value to JWS's r || s (RFC 7518 §3.4).
    const auto* p = reinterpret_cast<const unsigned char*>(sig.data());
    std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> s(
        d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size())),
        &ECDSA_SIG_free);
    std::string raw(64, '\0');
    auto* out = reinterpret_cast<unsigned char*>(raw.data());
    if (!s || BN_bn2binpad(ECDSA_SIG_get0_r(s.get()), out, 32) != 32 ||
        BN_bn2binpad(ECDSA_SIG_get0_s(s.get()), out + 32, 32) != 32)
      throw std::runtime_error("JWT signing failed");
    sig = std::move(raw);
  }
  return input + "." + auth::base64url_encode(sig);
}

}  // namespace switchboard::push
