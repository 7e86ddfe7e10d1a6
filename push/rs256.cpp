#include "push/rs256.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <stdexcept>

#include "auth/base64url.hpp"

namespace switchboard::push {

struct rs256_signer::impl {
  EVP_PKEY* key = nullptr;
  ~impl() { EVP_PKEY_free(key); }
};

rs256_signer::rs256_signer(const std::string& pem)
    : impl_(std::make_unique<impl>()) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  if (bio)
    impl_->key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (!impl_->key || EVP_PKEY_get_base_id(impl_->key) != EVP_PKEY_RSA)
    throw std::invalid_argument("not an RSA private key in PEM");
}

rs256_signer::~rs256_signer() = default;

std::string rs256_signer::jwt(std::string_view claims_json) const {
  auto input = auth::base64url_encode(R"({"alg":"RS256","typ":"JWT"})") + "." +
               auth::base64url_encode(claims_json);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                              &EVP_MD_CTX_free);
  std::size_t len = 0;
  if (!ctx ||
      EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr,
                         impl_->key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len,
                     reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) != 1)
    throw std::runtime_error("RS256 signing failed");
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()),
                     &len, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) != 1)
    throw std::runtime_error("RS256 signing failed");
  sig.resize(len);
  return input + "." + auth::base64url_encode(sig);
}

}  // namespace switchboard::push
