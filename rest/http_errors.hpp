#pragma once

#include <boost/json/object.hpp>
#include <string>

#include "common/proto_errors.hpp"
#include "net/http_types.hpp"

namespace switchboard::rest {

using common::proto_code;

// {"error":{"code":...,"message":...}} with the code's HTTP status (one
// table: common/proto_errors.hpp).
net::http_response error_response(common::proto_code code,
                                  const std::string& message);

// An `error` answer frame as its HTTP response; rate_limited gets
// Retry-After (whole seconds, rounded up) and keeps retry_after_ms.
net::http_response error_from_frame(const boost::json::object& frame);

net::http_response no_content();

}  // namespace switchboard::rest
