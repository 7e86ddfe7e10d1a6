#pragma once

#include <cstdint>

namespace switchboard::bench {

// Open loop: message k (from 0) is due at k / rate seconds after the
// start, so by `elapsed_s` this many messages are due. Latency counts from
// a message's due time, so sending it later than this shows as latency.
inline std::uint64_t messages_due(double elapsed_s, double rate) {
  if (elapsed_s < 0) return 0;
  return static_cast<std::uint64_t>(elapsed_s * rate) + 1;
}

// When message k is due, in nanoseconds after the start.
inline std::uint64_t due_ns(std::uint64_t k, double rate) {
  return static_cast<std::uint64_t>(static_cast<double>(k) / rate * 1e9);
}

}  // namespace switchboard::bench
