#include "rest/http_errors.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "common/proto_errors.hpp"

namespace switchboard::rest {

namespace json = boost::json;

int status_of(const std::string& code) {
  auto c = common::code_of(code);
  return c ? common::info(*c).http_status : 500;
}

net::http_response error_response(int status, const std::string& code,
                                  const std::string& message) {
  net::http_response res;
  res.status = status;
  json::object e{{"code", code}, {"message", message}};
  res.body = json::serialize(json::object{{"error", std::move(e)}});
  return res;
}

net::http_response error_from_frame(const json::object& frame) {
  std::string code(frame.at("code").as_string());
  std::string message(frame.at("message").as_string());
  auto res = error_response(status_of(code), code, message);
  // rate_limited always says when to retry; unavailable when it knows.
  if (code == "rate_limited" ||
      (code == "unavailable" && frame.contains("retry_after_ms"))) {
    auto ms = frame.at("retry_after_ms").to_number<std::int64_t>();
    json::object e{
        {"code", code}, {"message", message}, {"retry_after_ms", ms}};
    res.body = json::serialize(json::object{{"error", std::move(e)}});
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
