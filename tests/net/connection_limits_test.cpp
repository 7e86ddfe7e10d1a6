#include "net/connection_limits.hpp"

#include <catch2/catch.hpp>
#include <vector>

using switchboard::net::connection_limits;
using refusal = connection_limits::refusal;

TEST_CASE("connections are counted per address and per node, and given back",
          "[connection_limits]") {
  connection_limits l({3, 2, 0});
  refusal why;
  auto a1 = l.admit_connection("10.0.0.1", why);
  auto a2 = l.admit_connection("10.0.0.1", why);
  REQUIRE(a1);
  REQUIRE(a2);
  CHECK_FALSE(l.admit_connection("10.0.0.1", why));
  CHECK(why == refusal::address_full);
  auto b1 = l.admit_connection("10.0.0.2", why);
  REQUIRE(b1);
  CHECK_FALSE(l.admit_connection("10.0.0.3", why));
  CHECK(why == refusal::node_full);
  CHECK(l.connections() == 3);
  a1.reset();
  CHECK(l.connections() == 2);
  CHECK(l.admit_connection("10.0.0.1", why));  // its slot came back
}

TEST_CASE("websockets are counted per user", "[connection_limits]") {
  connection_limits l({0, 0, 2});
  refusal why;
  auto s1 = l.admit_user("alice", why);
  auto s2 = l.admit_user("alice", why);
  CHECK_FALSE(l.admit_user("alice", why));
  CHECK(why == refusal::user_full);
  CHECK(l.admit_user("bob", why));
  s1.reset();
  CHECK(l.admit_user("alice", why));
}

TEST_CASE("refusals in progress are bounded too", "[connection_limits]") {
  connection_limits l({1, 0, 0});
  std::vector<connection_limits::slot> refusing;
  for (std::size_t i = 0; i < connection_limits::max_refusing; ++i) {
    refusing.push_back(l.admit_refusal());
    REQUIRE(refusing.back());
  }
  CHECK_FALSE(l.admit_refusal());
  refusing.pop_back();
  CHECK(l.admit_refusal());
}
