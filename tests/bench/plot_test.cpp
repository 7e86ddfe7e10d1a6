#include "bench/harness/plot.hpp"

#include <catch2/catch.hpp>
#include <string>

using namespace switchboard::bench;

namespace {

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos;
       at = text.find(what, at + 1))
    ++n;
  return n;
}

}  // namespace

TEST_CASE(
    "a percentile curve puts p90 at 1 and p99 at 2 on its log axis, rising",
    "[bench][plot]") {
  histogram h;
  for (std::uint64_t ms = 1; ms <= 1000; ++ms) h.record(ms * 1000000);
  auto curve = percentile_curve(h, 3, 10);
  REQUIRE(curve.size() == 31);
  CHECK(curve.front().first == 0);
  CHECK(curve.back().first == Approx(3));
  CHECK(curve[10].first == Approx(1));
  CHECK(curve[10].second == Approx(900).epsilon(0.01));  // p90, in ms
  CHECK(curve[20].second == Approx(990).epsilon(0.01));  // p99
  CHECK(curve.back().second == Approx(1000).epsilon(0.01));
  for (std::size_t i = 1; i < curve.size(); ++i)
    CHECK(curve[i].second >= curve[i - 1].second);
  CHECK(percentile_curve(histogram{}).empty());
}

TEST_CASE(
    "the plot draws a curve per histogram with data and the rates per "
    "second",
    "[bench][plot]") {
  results r;
  r.scenario = "direct";
  r.connections = 100;
  for (int i = 1; i <= 100; ++i) {
    r.send_to_sent.record(static_cast<std::uint64_t>(i) * 100000);
    r.send_to_received.record(static_cast<std::uint64_t>(i) * 200000);
  }
  r.per_second = {{1000, 990}, {1200, 1210}, {1100, 1100}};
  auto svg = plot_svg(r);
  CHECK(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0) == 0);
  CHECK(svg.find("</svg>") != std::string::npos);
  // send -> sent and send -> received; no ack or handshake was recorded.
  CHECK(count(svg, "<polyline") == 4);
  CHECK(svg.find("send -> received") != std::string::npos);
  CHECK(svg.find("handshake") == std::string::npos);
  CHECK(svg.find("99.99%") != std::string::npos);
  CHECK(svg.find("acked / s") != std::string::npos);
}
