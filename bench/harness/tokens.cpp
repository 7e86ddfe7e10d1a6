#include "bench/harness/tokens.hpp"

#include <chrono>

#include "auth/jwt.hpp"

namespace switchboard::bench {

std::string make_token(const std::string& secret, const std::string& user) {
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  return auth::sign_token(secret, auth::claims{user, now + 86400});
}

}  // namespace switchboard::bench
