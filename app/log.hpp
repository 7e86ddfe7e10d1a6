#pragma once

#include <initializer_list>
#include <string_view>
#include <utility>

namespace switchboard::app {

// Writes one JSON object per line to stderr: {"ts":...,"level":...,
// "event":..., fields...}. Thread-safe: each line is one write.
void log(std::string_view level, std::string_view event,
         std::initializer_list<std::pair<std::string_view, std::string_view>>
             fields = {});

}  // namespace switchboard::app
