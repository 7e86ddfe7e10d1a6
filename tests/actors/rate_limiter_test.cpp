#include "actors/rate_limiter.hpp"

#include <catch2/catch.hpp>

using namespace switchboard::actors;
using namespace std::chrono_literals;

TEST_CASE("a bucket allows its burst, then refills at the rate",
          "[rate_limiter]") {
  rate_limiter r(20, 50);
  auto t0 = rate_limiter::clock::time_point{} + 1h;
  for (int i = 0; i < 50; ++i) REQUIRE(r.try_take("alice", t0) == 0);
  auto wait = r.try_take("alice", t0);
  CHECK(wait == 50);  // one token every 50 ms at 20/s
  CHECK(r.try_take("alice", t0 + 49ms) > 0);
  CHECK(r.try_take("alice", t0 + 50ms) == 0);
  // Users do not share buckets.
  CHECK(r.try_take("bob", t0) == 0);
}

TEST_CASE("a bucket never holds more than its burst", "[rate_limiter]") {
  rate_limiter r(10, 3);
  auto t0 = rate_limiter::clock::time_point{} + 1h;
  CHECK(r.try_take("u", t0) == 0);
  auto later = t0 + 1h;
  for (int i = 0; i < 3; ++i) CHECK(r.try_take("u", later) == 0);
  CHECK(r.try_take("u", later) > 0);
}

TEST_CASE("many idle users are forgotten without losing limits",
          "[rate_limiter]") {
  rate_limiter r(1, 2);
  auto t0 = rate_limiter::clock::time_point{} + 1h;
  auto t1 = t0 + 10s;
  CHECK(r.try_take("busy", t1) == 0);
  CHECK(r.try_take("busy", t1) == 0);
  // Enough users to make the limiter sweep its full buckets.
  for (int i = 0; i < 10000; ++i)
    CHECK(r.try_take("u" + std::to_string(i), t0) == 0);
  CHECK(r.try_take("busy", t1) > 0);
}
