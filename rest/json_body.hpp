#pragma once

#include <boost/json/object.hpp>

#include "net/http_types.hpp"

namespace switchboard::rest {

// The JSON object body of a POST (Content-Type application/json, at most 16
// levels deep). On failure fills `err` with the 400 to answer and returns
// false.
bool json_body(const net::http_request& req, boost::json::object& out,
               net::http_response& err);

// `body` serialised, with `status`.
net::http_response json_response(int status, const boost::json::object& body);

}  // namespace switchboard::rest
