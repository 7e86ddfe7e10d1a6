#include "rest/route.hpp"

#include <catch2/catch.hpp>

// The REST paths of PROTOCOL.md as the router matches them: kinds, the
// path parameter and the query percent-decoded, the methods each allows.
using namespace switchboard::rest;

TEST_CASE("REST targets match their route, with their parameter decoded",
          "[rest][route]") {
  auto r = match_route("/v1/conversations/g%2F1/messages?after=5&limit=10");
  REQUIRE(r);
  CHECK(r->kind == route_kind::messages);
  CHECK(r->param == "g/1");
  CHECK(r->query("after") == std::optional<std::string>("5"));
  CHECK(r->query("limit") == std::optional<std::string>("10"));
  CHECK_FALSE(r->query("before"));
  auto d = match_route("/v1/devices/%7B%22endpoint%22%7D");
  REQUIRE(d);
  CHECK(d->kind == route_kind::device);
  CHECK(d->param == "{\"endpoint\"}");
  CHECK(match_route("/v1/presence?user_ids=a,b")->kind == route_kind::presence);
  CHECK(match_route("/v1/conversations/c1/read")->kind == route_kind::read);
  CHECK(match_route("/v1/conversations/c1/members")->kind ==
        route_kind::members);
  CHECK(match_route("/v1/devices")->kind == route_kind::devices);
  CHECK(match_route("/v1/conversations")->kind == route_kind::conversations);
}

TEST_CASE("targets that are no REST path match nothing", "[rest][route]") {
  CHECK_FALSE(match_route("/metrics"));
  CHECK_FALSE(match_route("/v2/conversations"));
  CHECK_FALSE(match_route("/v1/nothing"));
  CHECK_FALSE(match_route("/v1/conversations//messages"));
  CHECK_FALSE(match_route("/v1/conversations/c1/other"));
  CHECK_FALSE(match_route("/v1/devices/"));
}

TEST_CASE("each route allows its methods and says which in Allow",
          "[rest][route]") {
  auto conv = *match_route("/v1/conversations");
  CHECK(conv.allows("GET"));
  CHECK(conv.allows("POST"));
  CHECK_FALSE(conv.allows("DELETE"));
  CHECK(conv.allowed() == "GET, POST");
  auto devices = *match_route("/v1/devices");
  CHECK(devices.allows("GET"));
  CHECK(devices.allows("POST"));
  CHECK(devices.allowed() == "GET, POST");
  auto device = *match_route("/v1/devices/t1");
  CHECK(device.allows("DELETE"));
  CHECK_FALSE(device.allows("GET"));
  CHECK(device.allowed() == "DELETE");
  auto read = *match_route("/v1/conversations/c1/read");
  CHECK(read.allows("POST"));
  CHECK_FALSE(read.allows("GET"));
  CHECK(read.allowed() == "POST");
  CHECK(match_route("/v1/presence")->allowed() == "GET");
}

TEST_CASE("a query is split on & and = and percent-decoded", "[rest][route]") {
  auto q = parse_query("/path?a=1&b=x%20y&c=&d");
  CHECK(q["a"] == "1");
  CHECK(q["b"] == "x y");
  CHECK(q.count("c") == 1);
  CHECK(q["c"].empty());
  CHECK(parse_query("/path").empty());
  // '+' is a space in a query, as forms write it, and itself in a path.
  CHECK(parse_query("/p?q=a+b%2Bc")["q"] == "a b+c");
  CHECK(percent_decode("a%2Bb+c") == "a+b+c");
  CHECK(match_route("/v1/devices/ab+cd%2B")->param == "ab+cd+");
  // A malformed escape: the text as written, not a guess at its bytes.
  CHECK(percent_decode("a%zzb%41") == "a%zzb%41");
  CHECK(percent_decode("100%") == "100%");
  CHECK(percent_decode("%e2%82%ac") == "\xe2\x82\xac");  // UTF-8, byte-wise
  CHECK(parse_query("/p?n=%4")["n"] == "%4");
}

TEST_CASE("a target's path splits at slashes, decoded, without its query",
          "[rest][route]") {
  using switchboard::rest::split_path;
  CHECK(split_path("/admin/v1/users/a%20b?x=1") ==
        std::vector<std::string>{"admin", "v1", "users", "a b"});
  CHECK(split_path("/v1/devices/tok+en") ==
        std::vector<std::string>{"v1", "devices", "tok+en"});  // + is itself
  CHECK(split_path("/v1/") == std::vector<std::string>{"v1", ""});
}
