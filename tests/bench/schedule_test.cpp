#include "bench/harness/schedule.hpp"

#include <catch2/catch.hpp>

using switchboard::bench::due_ns;
using switchboard::bench::messages_due;

TEST_CASE("open loop: a message is sent when it is due, not an interval later",
          "[bench]") {
  // At 50 msgs/s message 0 is due at once, message 1 at 20 ms.
  CHECK(messages_due(0.0, 50) == 1);
  CHECK(messages_due(0.0199, 50) == 1);
  CHECK(messages_due(0.0201, 50) == 2);
  CHECK(messages_due(1.0, 2000) == 2001);
  CHECK(messages_due(-0.001, 50) == 0);
  CHECK(due_ns(0, 50) == 0);
  CHECK(due_ns(1, 50) == 20'000'000);
  // Every message is due no later than the moment it is issued.
  for (std::uint64_t k = 0; k < 1000; ++k) {
    double at = static_cast<double>(due_ns(k, 2000)) / 1e9;
    CHECK(messages_due(at + 1e-9, 2000) >= k + 1);
  }
}
