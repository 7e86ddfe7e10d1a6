#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace switchboard::auth {

// The claims Switchboard reads from a client token.
struct claims {
  std::string sub;       // the user id
  std::int64_t exp = 0;  // expiry, seconds since the epoch
  std::int64_t iat = 0;  // issued at, seconds since the epoch; 0: absent
  std::int64_t nbf = 0;  // not before, seconds since the epoch; 0: absent
};

// Why a token was refused; each maps to HTTP 401.
enum class token_error {
  malformed,      // not three base64url parts of JSON
  bad_algorithm,  // alg is not HS256 (including "none")
  bad_signature,
  expired,
  missing_exp,
  bad_subject,     // sub missing or not a valid user id
  not_yet_valid,   // nbf or iat later than now (past the leeway)
  too_long_lived,  // exp further from iat (or now) than the max lifetime
  revoked,         // issued before its user's tokens were revoked
};

std::string_view to_string(token_error e) noexcept;

// An HS256 key prepared once: signing or verifying with it copies a keyed
// HMAC state instead of setting HMAC up for every token (OpenSSL 3 looks the
// algorithm up in its provider each time: a fifth of a node's instructions
// per WebSocket handshake). Immutable after construction; thread-safe.
// Throws std::runtime_error when OpenSSL cannot provide HMAC-SHA256.
class hs256_key {
 public:
  explicit hs256_key(std::string_view secret);
  ~hs256_key();
  hs256_key(const hs256_key&) = delete;
  hs256_key& operator=(const hs256_key&) = delete;

  // HMAC-SHA256 of `data` (32 bytes).
  std::string mac(std::string_view data) const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// Signs {"sub":..., "exp":...} with HS256, and "iat" / "nbf" when set.
std::string sign_token(const hs256_key& key, const claims& c);
std::string sign_token(std::string_view secret, const claims& c);

// How strictly the times of a token are read.
struct time_rules {
  // Clocks of the issuer and the node may differ by this much: exp may be
  // this far past, nbf and iat this far ahead.
  std::int64_t leeway_s = 0;
  // Longest exp - iat (exp - now for a token without iat); 0: no limit.
  std::int64_t max_lifetime_s = 0;
};

// Verifies an HS256 token: the algorithm is pinned, the signature compared
// in constant time, exp required and in the future (at `now`), iat and nbf
// (optional) not in the future, the lifetime within the rules, sub a valid
// user id. Returns the claims, or why the token was refused.
struct verify_result {
  std::optional<claims> ok;
  token_error error = token_error::malformed;
};
verify_result verify_token(const hs256_key& key, std::string_view token,
                           std::int64_t now_s, const time_rules& rules = {});
verify_result verify_token(std::string_view secret, std::string_view token,
                           std::int64_t now_s, const time_rules& rules = {});

// A user id: 1..64 characters of [A-Za-z0-9_.-].
bool valid_user_id(std::string_view id) noexcept;

}  // namespace switchboard::auth
