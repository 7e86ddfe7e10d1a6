#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace switchboard::push {

// Web Push message encryption (RFC 8291) in the aes128gcm content coding
// (RFC 8188), one record: an ephemeral P-256 key agreed with the
// subscription's key (`ua_public`: its p256dh, 65 bytes, an uncompressed
// point), the subscription's 16-byte `auth` secret, a random salt. Returns
// the body: salt, record size 4096, the ephemeral public key, then the
// record (`plaintext`, the last-record delimiter, AES-128-GCM). Throws
// std::invalid_argument for a key or secret that is not one, or a
// plaintext too long for one record.
std::string webpush_encrypt(std::string_view ua_public, std::string_view auth,
                            std::string_view plaintext);

// Signs VAPID JWTs (RFC 8292) with ES256 from a PEM P-256 private key.
// Thread-safe.
class es256_signer {
 public:
  // Throws std::invalid_argument when `pem` is not a P-256 private key.
  explicit es256_signer(const std::string& pem);
  ~es256_signer();
  es256_signer(const es256_signer&) = delete;
  es256_signer& operator=(const es256_signer&) = delete;

  // header.claims.signature, the signature as r || s (64 bytes), base64url.
  std::string jwt(std::string_view claims_json) const;
  // The public key, an uncompressed point (65 bytes): VAPID's `k`.
  const std::string& public_key() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace switchboard::push
