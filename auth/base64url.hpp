#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace switchboard::auth {

// base64url without padding (RFC 4648 §5, as JWTs and Web Push use it).
std::string base64url_encode(std::string_view in);
// nullopt for a character outside the alphabet, padding included, or a
// dangling one.
std::optional<std::string> base64url_decode(std::string_view in);

}  // namespace switchboard::auth
