#include <catch2/catch.hpp>
#include <string>

#include "metrics/metrics.hpp"

// The providers choose the reasons of their refusals: as metric labels they
// are cleaned and bounded, so that no provider can grow /metrics forever.
using switchboard::metrics::node_metrics;

TEST_CASE(
    "push failure reasons are labels of letters, digits and _, at most 32 "
    "per provider, later ones counted as other",
    "[push][metrics]") {
  node_metrics m;
  m.push_failure("apns", "BadDeviceToken");
  m.push_failure("apns", "BadDeviceToken");
  m.push_failure("fcm", "a \"quoted\"\nreason");
  m.push_failure("fcm", "");
  for (int i = 0; i < 40; ++i)
    m.push_failure("gateway", "r" + std::to_string(i));
  auto out = m.render();
  CHECK(out.find("switchboard_push_failures_total{provider=\"apns\",reason="
                 "\"BadDeviceToken\"} 2") != std::string::npos);
  CHECK(out.find("reason=\"a__quoted__reason\"} 1") != std::string::npos);
  CHECK(out.find("provider=\"fcm\",reason=\"unknown\"} 1") !=
        std::string::npos);
  CHECK(out.find("provider=\"gateway\",reason=\"r31\"} 1") !=
        std::string::npos);
  CHECK(out.find("provider=\"gateway\",reason=\"r32\"") == std::string::npos);
  CHECK(out.find("provider=\"gateway\",reason=\"other\"} 8") !=
        std::string::npos);
}
