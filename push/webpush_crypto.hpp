#pragma once

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

}  // namespace switchboard::push
