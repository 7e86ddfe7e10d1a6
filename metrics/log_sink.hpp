#pragma once

#include <functional>
#include <initializer_list>
#include <string_view>
#include <utility>

namespace switchboard::metrics {

using log_field = std::pair<std::string_view, std::string_view>;

// Where a layer below app/ (storage, actors, net) writes a log line: level
// ("debug", "info", "warn", "error"), an event name and fields. The app
// wires it to its JSON-line logger (app/log.hpp); the views live only for
// the call. An empty sink drops the line. Header-only, so that storage/
// can take one without depending on anything.
using log_sink =
    std::function<void(std::string_view level, std::string_view event,
                       std::initializer_list<log_field> fields)>;

inline void emit(const log_sink& sink, std::string_view level,
                 std::string_view event,
                 std::initializer_list<log_field> fields = {}) {
  if (sink) sink(level, event, fields);
}

}  // namespace switchboard::metrics
