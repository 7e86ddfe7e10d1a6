#include <catch2/catch.hpp>
#include <stdexcept>

#include "bench/harness/options.hpp"

using namespace switchboard::bench;

TEST_CASE("bench --nodes takes HOST:PORT entries separated by commas",
          "[bench]") {
  auto n = parse_nodes("127.0.0.1:7170,localhost:7270,[::1]:7370");
  REQUIRE(n.size() == 3);
  CHECK(n[0].host == "127.0.0.1");
  CHECK(n[0].port == 7170);
  CHECK(n[1].host == "localhost");
  CHECK(n[2].host == "[::1]");
  CHECK(n[2].port == 7370);
  CHECK_THROWS_AS(parse_nodes(""), std::invalid_argument);
  CHECK_THROWS_AS(parse_nodes("127.0.0.1"), std::invalid_argument);
  CHECK_THROWS_AS(parse_nodes("127.0.0.1:7070,"), std::invalid_argument);
  CHECK_THROWS_AS(parse_nodes("h:0"), std::invalid_argument);
  CHECK_THROWS_AS(parse_nodes("h:70000"), std::invalid_argument);
  CHECK_THROWS_AS(parse_nodes("h:7x"), std::invalid_argument);
}

TEST_CASE("the two users of a direct pair connect to different nodes",
          "[bench]") {
  options o;
  o.scenario = "direct";
  o.nodes = parse_nodes("a:1,b:2,c:3");
  auto host = [&](int g) { return node_of(o, g).host; };
  // Pair p: its first user on node p mod 3, its partner on p+1 mod 3.
  CHECK(host(0) == "a");
  CHECK(host(1) == "b");
  CHECK(host(2) == "b");
  CHECK(host(3) == "c");
  CHECK(host(4) == "c");
  CHECK(host(5) == "a");
  CHECK(host(6) == "a");
  for (int g = 0; g < 300; g += 2) CHECK(host(g) != host(g + 1));

  o.scenario = "group";
  CHECK(host(0) == "a");
  CHECK(host(1) == "b");
  CHECK(host(5) == "c");

  o.nodes = parse_nodes("only:7070");
  o.scenario = "direct";
  for (int g = 0; g < 10; ++g) CHECK(host(g) == "only");
}
