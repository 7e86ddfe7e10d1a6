#include "rest/json_body.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "rest/http_errors.hpp"

namespace switchboard::rest {

namespace json = boost::json;

bool json_body(const net::http_request& req, json::object& out,
               net::http_response& err) {
  if (req.content_type.rfind("application/json", 0) != 0) {
    err = error_response(proto_code::bad_request,
                         "Content-Type must be application/json");
    return false;
  }
  boost::system::error_code ec;
  json::parse_options opts;
  opts.max_depth = 16;
  auto v = json::parse(req.body, ec, {}, opts);
  if (ec || !v.is_object()) {
    err = error_response(proto_code::bad_request,
                         "the body must be a JSON object");
    return false;
  }
  out = std::move(v.as_object());
  return true;
}

net::http_response json_response(int status, const json::object& body) {
  net::http_response res;
  res.status = status;
  res.body = json::serialize(body);
  return res;
}

}  // namespace switchboard::rest
