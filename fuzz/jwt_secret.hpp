#pragma once

#include <cstdint>
#include <string_view>

namespace switchboard::fuzz {

// The key and the clock of jwt_fuzz, shared with the seed generator so
// that the corpus's tokens are signed with the key they are verified with.
inline constexpr std::string_view jwt_secret = "fuzzing secret";
inline constexpr std::int64_t jwt_now_s = 1'700'000'000;

}  // namespace switchboard::fuzz
