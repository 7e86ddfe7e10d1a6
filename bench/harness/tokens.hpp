#pragma once

#include <string>

namespace switchboard::bench {

// A client token for `user`, valid for a day, signed with `secret`.
std::string make_token(const std::string& secret, const std::string& user);

}  // namespace switchboard::bench
