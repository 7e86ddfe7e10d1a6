#pragma once

#include <functional>
#include <string_view>

namespace switchboard::cluster {

// Where the coordinator's parts report what happened, for the node's JSON
// log: a level ("info", "warn", "error"), a short stable event name
// ("lease_expired") and a human-readable detail. May be empty; called on
// whichever thread saw the event, so it must be thread-safe and quick.
using log_callback = std::function<void(
    std::string_view level, std::string_view event, std::string_view detail)>;

inline void log_to(const log_callback& log, std::string_view level,
                   std::string_view event, std::string_view detail) {
  if (log) log(level, event, detail);
}

}  // namespace switchboard::cluster
