#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "cluster/result.hpp"

// The errors of the shard map's txns (shard_writer.cpp and
// shard_writer_isr.cpp): only those two include it.
namespace switchboard::cluster::detail {

// errc::invalid_argument: the record does not allow the change.
inline error invalid(std::uint32_t n, std::string_view why) {
  return {errc::invalid_argument,
          "shard " + std::to_string(n) + ": " + std::string(why)};
}

}  // namespace switchboard::cluster::detail
