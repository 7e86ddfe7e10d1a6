#include "rest/http_errors.hpp"

#include <boost/json/value.hpp>

#include "actors/http_error.hpp"
#include "common/proto_errors.hpp"

namespace switchboard::rest {

namespace json = boost::json;

net::http_response error_response(proto_code code, const std::string& message) {
  net::http_response res;
  res.status = common::info(code).http_status;
  res.body = actors::http_error(code, message);
  return res;
}

net::http_response error_from_frame(const json::object& frame) {
  auto code = common::code_of(frame.at("code").as_string())
                  .value_or(proto_code::internal);
  std::string message(frame.at("message").as_string());
  auto res = error_response(code, message);
  // rate_limited always says when to retry; unavailable when it knows.
  if (code == proto_code::rate_limited ||
      (code == proto_code::unavailable && frame.contains("retry_after_ms"))) {
    auto ms = frame.at("retry_after_ms").to_number<std::int64_t>();
    res.body = actors::http_error(code, message, ms);
    res.headers.emplace_back("Retry-After", std::to_string((ms + 999) / 1000));
  }
  return res;
}

net::http_response no_content() {
  net::http_response res;
  res.status = 204;
  res.content_type.clear();
  return res;
}

}  // namespace switchboard::rest
