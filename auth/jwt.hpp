#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace switchboard::auth {

// The claims Switchboard reads from a client token.
struct claims {
  std::string sub;       // the user id
  std::int64_t exp = 0;  // expiry, seconds since the epoch
};

// Why a token was refused; each maps to HTTP 401.
enum class token_error {
  malformed,      // not three base64url parts of JSON
  bad_algorithm,  // alg is not HS256 (including "none")
  bad_signature,
  expired,
  missing_exp,
  bad_subject,  // sub missing or not a valid user id
};

std::string_view to_string(token_error e) noexcept;

// Signs {"sub":..., "exp":...} with HS256.
std::string sign_token(std::string_view secret, const claims& c);

// Verifies an HS256 token: the algorithm is pinned, the signature compared
// in constant time, exp required and in the future (at `now`), sub a valid
// user id. Returns the claims, or why the token was refused.
struct verify_result {
  std::optional<claims> ok;
  token_error error = token_error::malformed;
};
verify_result verify_token(std::string_view secret, std::string_view token,
                           std::int64_t now_s);

// A user id: 1..64 characters of [A-Za-z0-9_.-].
bool valid_user_id(std::string_view id) noexcept;

}  // namespace switchboard::auth
