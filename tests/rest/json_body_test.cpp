#include "rest/json_body.hpp"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <string>

#include "common/proto_errors.hpp"
#include "rest/http_errors.hpp"

// A POST's body as the REST API takes it: a JSON object under
// application/json (a charset parameter allowed), at most 16 levels deep;
// anything else is a 400 `bad_request` with the protocol's error body.
using namespace switchboard;

namespace {

net::http_request post(std::string body,
                       std::string type = "application/json") {
  net::http_request r;
  r.method = "POST";
  r.target = "/v1/conversations";
  r.content_type = std::move(type);
  r.body = std::move(body);
  return r;
}

// The error code of a refused body ("" when it was taken).
std::string refused(const net::http_request& r) {
  boost::json::object out;
  net::http_response err;
  if (rest::json_body(r, out, err)) return {};
  CHECK(err.status == 400);
  auto v = boost::json::parse(err.body).as_object();
  return std::string(v.at("error").at("code").as_string());
}

}  // namespace

TEST_CASE("a JSON object body is taken", "[rest][body]") {
  boost::json::object out;
  net::http_response err;
  REQUIRE(
      rest::json_body(post(R"({"kind":"group","members":["b"]})"), out, err));
  CHECK(out.at("kind") == "group");
  CHECK(refused(post("{}", "application/json; charset=utf-8")).empty());
}

TEST_CASE("other bodies are refused with bad_request", "[rest][body]") {
  CHECK(refused(post("{}", "text/plain")) == "bad_request");
  CHECK(refused(post("{}", "")) == "bad_request");
  CHECK(refused(post("[1,2]")) == "bad_request");
  CHECK(refused(post("\"text\"")) == "bad_request");
  CHECK(refused(post("{\"a\":")) == "bad_request");
  CHECK(refused(post("")) == "bad_request");
  // 16 levels are fine, 17 are not.
  std::string deep16 = std::string(15, '[') + std::string(15, ']');
  CHECK(refused(post("{\"a\":" + deep16 + "}")).empty());
  std::string deep17 = std::string(16, '[') + std::string(16, ']');
  CHECK(refused(post("{\"a\":" + deep17 + "}")) == "bad_request");
}

TEST_CASE("a response body is the object serialised, with its status",
          "[rest][body]") {
  auto r = rest::json_response(201, {{"conv_id", "g1"}});
  CHECK(r.status == 201);
  CHECK(r.content_type == "application/json");
  CHECK(boost::json::parse(r.body).at("conv_id") == "g1");
}

TEST_CASE("each protocol error code has its HTTP status from one table",
          "[rest][errors]") {
  using switchboard::common::proto_code;
  using switchboard::common::proto_codes;
  CHECK(rest::error_response(proto_code::bad_request, "m").status == 400);
  CHECK(rest::error_response(proto_code::forbidden, "m").status == 403);
  CHECK(rest::error_response(proto_code::rate_limited, "m").status == 429);
  CHECK(rest::error_response(proto_code::unavailable, "m").status == 503);
  CHECK_FALSE(switchboard::common::code_of("no such code"));
  for (auto& c : proto_codes) {
    INFO(c.wire);
    CHECK(switchboard::common::code_of(c.wire) == c.code);
    auto r = rest::error_response(c.code, "m");
    CHECK(r.status == c.http_status);
    CHECK(boost::json::parse(r.body).at("error").at("code") ==
          boost::json::string_view(c.wire.data(), c.wire.size()));
  }
}
