#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace switchboard::push {

// Signs JWTs with RS256 (RSASSA-PKCS1-v1_5 with SHA-256, RFC 7518 §3.3), as
// FCM's OAuth assertion of a service account needs. Thread-safe.
class rs256_signer {
 public:
  // `pem`: a PEM private key (the service account's "private_key"); throws
  // std::invalid_argument when it is not an RSA key OpenSSL reads.
  explicit rs256_signer(const std::string& pem);
  ~rs256_signer();
  rs256_signer(const rs256_signer&) = delete;
  rs256_signer& operator=(const rs256_signer&) = delete;

  // header.claims.signature, base64url, with {"alg":"RS256","typ":"JWT"}.
  std::string jwt(std::string_view claims_json) const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace switchboard::push
