#pragma once

#include <openssl/ecdsa.h>
#include <openssl/evp.h>

#include <boost/json.hpp>
#include <optional>
#include <string>

#include "auth/base64url.hpp"

namespace switchboard::testing {

// The header and claims of an ES256 JWT whose signature (r || s, as JOSE
// writes it) verifies with `pub`, as a provider checks one; none otherwise.
struct es256_token {
  boost::json::object header, claims;
};
inline std::optional<es256_token> es256_check(const std::string& jwt,
                                              EVP_PKEY* pub) {
  auto dot1 = jwt.find('.'), dot2 = jwt.rfind('.');
  if (!pub || dot1 == std::string::npos || dot1 == dot2) return std::nullopt;
  auto header = auth::base64url_decode(jwt.substr(0, dot1));
  auto claims = auth::base64url_decode(jwt.substr(dot1 + 1, dot2 - dot1 - 1));
  auto sig = auth::base64url_decode(jwt.substr(dot2 + 1));
  if (!header || !claims || !sig || sig->size() != 64) return std::nullopt;
  auto* s = ECDSA_SIG_new();
  auto* bytes = reinterpret_cast<const unsigned char*>(sig->data());
  ECDSA_SIG_set0(s, BN_bin2bn(bytes, 32, nullptr),
                 BN_bin2bn(bytes + 32, 32, nullptr));
  unsigned char* der = nullptr;
  int der_len = i2d_ECDSA_SIG(s, &der);
  auto* ctx = EVP_MD_CTX_new();
  auto input = jwt.substr(0, dot2);
  bool ok =
      EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, pub) == 1 &&
      EVP_DigestVerify(ctx, der, static_cast<std::size_t>(der_len),
                       reinterpret_cast<const unsigned char*>(input.data()),
                       input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  OPENSSL_free(der);
  ECDSA_SIG_free(s);
  if (!ok) return std::nullopt;
  boost::system::error_code e1, e2;
  auto h = boost::json::parse(*header, e1);
  auto c = boost::json::parse(*claims, e2);
  if (e1 || e2 || !h.is_object() || !c.is_object()) return std::nullopt;
  return es256_token{h.as_object(), c.as_object()};
}

}  // namespace switchboard::testing
