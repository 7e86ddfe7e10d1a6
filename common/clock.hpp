#pragma once

#include <chrono>
#include <cstdint>

// Wall-clock time since the Unix epoch, by the system clock: the protocol's
// `ts` and `last_seen`, tokens' `iat` and `exp`, log lines, the push
// outbox's seqs. The one place the node reads the wall clock; intervals and
// deadlines use std::chrono::steady_clock instead.
namespace switchboard::common {

template <class Unit>
std::int64_t unix_time() noexcept {
  return std::chrono::duration_cast<Unit>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline std::int64_t unix_s() noexcept {
  return unix_time<std::chrono::seconds>();
}
inline std::int64_t unix_ms() noexcept {
  return unix_time<std::chrono::milliseconds>();
}
inline std::int64_t unix_us() noexcept {
  return unix_time<std::chrono::microseconds>();
}

}  // namespace switchboard::common
