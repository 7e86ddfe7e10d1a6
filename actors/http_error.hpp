#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/proto_errors.hpp"

// The body of an HTTP error answer, {"error":{"code","message"}} with
// "retry_after_ms" when it is not negative: the one writer of it, for REST,
// the admin API and the admin requests between nodes. Its status is the
// code's (common::info). Boost.JSON, as every HTTP body; client frames are
// json_writer's. No CAF.
namespace switchboard::actors {

std::string http_error(common::proto_code code, std::string_view message,
                       std::int64_t retry_after_ms = -1);

}  // namespace switchboard::actors
