#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace switchboard::push {

// Signs the JWTs push providers ask for, from a PEM private key: RS256
// (RSASSA-PKCS1-v1_5 with SHA-256: FCM's OAuth assertion of a service
// account) or ES256 (ECDSA P-256 with SHA-256, the signature as r || s:
// Web Push's VAPID, APNs' provider token). Thread-safe.
class jwt_signer {
 public:
  enum class alg : std::uint8_t { rs256, es256 };
  // Throws std::invalid_argument when `pem` is not a private key of the
  // algorithm's kind (RSA; EC on P-256).
  jwt_signer(const std::string& pem, alg a);
  ~jwt_signer();
  jwt_signer(const jwt_signer&) = delete;
  jwt_signer& operator=(const jwt_signer&) = delete;

  // header.claims.signature, base64url, with {"typ":"JWT","alg":...}
  // (`extra_header`: more members of the header, as JSON without braces,
  // e.g. "\"kid\":\"ABC\"").
  std::string jwt(std::string_view claims_json,
                  std::string_view extra_header = {}) const;
  // ES256: the public key as an uncompressed point (65 bytes), VAPID's `k`.
  const std::string& public_key() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace switchboard::push
