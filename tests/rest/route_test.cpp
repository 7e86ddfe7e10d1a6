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

TEST_CASE("a path matches a pattern of its parts where a star is any one",
          "[rest][route]") {
  std::vector<std::string> parts{"admin", "v1", "users", "u1"};
  // Exactly its parts.
  CHECK(matches(parts, {"admin", "v1", "users", "u1"}));
  // "*" matches any one part, an empty one too.
  CHECK(matches(parts, {"admin", "v1", "users", "*"}));
  CHECK(matches(parts, {"*", "*", "*", "*"}));
  CHECK(matches({"v1", "devices", ""}, {"v1", "devices", "*"}));
  // A part more or fewer is no match, whatever the rest.
  CHECK_FALSE(matches(parts, {"admin", "v1", "users"}));
  CHECK_FALSE(matches(parts, {"admin", "v1", "users", "*", "kick"}));
  CHECK_FALSE(matches(parts, {"admin", "v1", "*"}));
  CHECK_FALSE(matches(parts, {}));
  CHECK(matches({}, {}));
  // One literal part unlike the path's is no match; compared whole.
  CHECK_FALSE(matches(parts, {"admin", "v2", "users", "*"}));
  CHECK_FALSE(matches(parts, {"admin", "v1", "user", "*"}));
  CHECK_FALSE(matches(parts, {"admin", "v1", "users", "u"}));
  CHECK_FALSE(matches(parts, {"admin", "v1", "Users", "*"}));
}

TEST_CASE("a pattern can match a path from one of its parts on",
          "[rest][route]") {
  auto parts = split_path("/admin/v1/users/a%20b/kick?x=1");
  CHECK(matches(parts, {"users", "*", "kick"}, 2));
  CHECK(matches(parts, {"users", "a b", "kick"}, 2));  // decoded
  CHECK_FALSE(matches(parts, {"users", "*"}, 2));
  CHECK_FALSE(matches(parts, {"v1", "users", "*", "kick"}, 2));
  // Past the end: only the empty pattern, and only at the very end.
  CHECK(matches(parts, {}, 5));
  CHECK_FALSE(matches(parts, {}, 6));
  CHECK_FALSE(matches(parts, {"kick"}, 9));
}
