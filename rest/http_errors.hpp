#pragma once

#include <boost/json/object.hpp>
#include <string>

#include "net/http_types.hpp"

namespace switchboard::rest {

// {"error":{"code":...,"message":...}} with `status`.
net::http_response error_response(int status, const std::string& code,
                                  const std::string& message);

// The HTTP status of a protocol error code (PROTOCOL.md "Errors").
int status_of(const std::string& code);

// An `error` answer frame as its HTTP response; rate_limited gets
// Retry-After (whole seconds, rounded up) and keeps retry_after_ms.
net::http_response error_from_frame(const boost::json::object& frame);

net::http_response no_content();

}  // namespace switchboard::rest
