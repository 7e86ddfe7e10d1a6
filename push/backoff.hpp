#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace switchboard::push {

// When a send that a provider refused for now (429, 5xx, no answer) is
// tried again: exponential in the attempts, `base` * 2^(attempt-1) up to
// `cap`, with jitter (`unit` in [0, 1) scales it between half and all of
// that), so that a provider recovering from an outage is not hit by every
// node's backlog at once. A provider's Retry-After, when later, wins.
std::chrono::milliseconds backoff_delay(std::uint32_t attempt,
                                        std::chrono::milliseconds base,
                                        std::chrono::milliseconds cap,
                                        double unit);

// An HTTP Retry-After value (RFC 9110 §10.2.3): delay-seconds, or an
// HTTP-date (IMF-fixdate) taken against `now_s` (seconds since the Unix
// epoch). nullopt when it is neither; a date in the past is 0.
std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::int64_t now_s);

}  // namespace switchboard::push
