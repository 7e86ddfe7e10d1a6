#pragma once

#include <initializer_list>
#include <string_view>
#include <utility>

#include "metrics/log_sink.hpp"

namespace switchboard::app {

// Writes one JSON object per line to stderr: {"ts":...,"level":...,
// "event":..., fields...}, when `level` is at least the configured one.
// Thread-safe: each line is one write.
void log(std::string_view level, std::string_view event,
         std::initializer_list<std::pair<std::string_view, std::string_view>>
             fields = {});

// A sink for the layers below app/ that writes through log().
metrics::log_sink log_sink();

// "debug", "info", "warn" or "error"; the default is "info".
void set_log_level(std::string_view level);

}  // namespace switchboard::app
