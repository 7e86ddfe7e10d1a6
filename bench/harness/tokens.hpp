#pragma once

#include <string>

#include "bench/harness/options.hpp"

namespace switchboard::bench {

// A client token for `user`: signed here with options.jwt_secret (valid for
// a day), or, when options.token_command is set, printed by that command,
// run through the shell once per call with `{user}` in it replaced by the
// user id (or the user id appended as its last argument). Throws
// std::runtime_error when the command fails or prints no token.
std::string make_token(const options& o, const std::string& user);

}  // namespace switchboard::bench
