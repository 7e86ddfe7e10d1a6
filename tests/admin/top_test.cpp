#include "admin/top.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

// `top`'s arithmetic: a quantile of one interval's buckets, and a line from
// two samples.
using namespace switchboard::admin;
namespace json = boost::json;

TEST_CASE("an interval's quantile is interpolated within its bucket",
          "[admin][top]") {
  std::vector<double> bounds{0.001, 0.002, 0.005};
  // 50 sends at or under 1 ms, 50 in (2, 5] ms, none beyond.
  std::vector<double> counts{50, 0, 50, 0};
  CHECK(interval_quantile(bounds, counts, 0.5) == Approx(0.001));
  CHECK(interval_quantile(bounds, counts, 0.99) == Approx(0.00494));
  CHECK(interval_quantile(bounds, counts, 0.25) == Approx(0.0005));
  // Past the last bound: the last bound.
  CHECK(interval_quantile(bounds, {0, 0, 0, 10}, 0.99) == Approx(0.005));
  CHECK(interval_quantile(bounds, {0, 0, 0, 0}, 0.5) == -1);
}

TEST_CASE("a top line is the difference of two samples over their time",
          "[admin][top]") {
  auto sample = [](std::int64_t ts, std::uint64_t accepted,
                   std::vector<std::uint64_t> latency, std::uint64_t batches,
                   double batch_sum) {
    json::array counts;
    for (auto c : latency) counts.emplace_back(c);
    return json::object{
        {"ts_ms", ts},
        {"connections", 4},
        {"users_online", 3},
        {"active_conversations", 2},
        {"accepted", accepted},
        {"delivered", accepted * 2},
        {"send_latency", json::object{{"bounds", json::array{0.001, 0.002}},
                                      {"counts", std::move(counts)},
                                      {"count", 0},
                                      {"sum", 0}}},
        {"commit_batches", json::object{{"bounds", json::array{}},
                                        {"counts", json::array{}},
                                        {"count", batches},
                                        {"sum", batch_sum}}},
        {"commit_seconds", json::object{{"bounds", json::array{}},
                                        {"counts", json::array{}},
                                        {"count", batches},
                                        {"sum", batches * 0.002}}},
        {"slowest", json::array{json::object{{"conv_id", "g1"}, {"ms", 7.5}}}}};
  };
  auto before = sample(1000, 100, {10, 0, 0}, 10, 20);
  auto now = sample(3000, 500, {10, 100, 0}, 30, 100);
  auto line = top_line(now, before);
  CHECK(line.at("messages_in_per_s") == 200);  // 400 in 2 s
  CHECK(line.at("deliveries_per_s") == 400);
  CHECK(line.at("send_p50_ms").as_double() == Approx(1.5));
  CHECK(line.at("commit_batches_mean").as_double() == Approx(4));  // 80 / 20
  CHECK(line.at("commit_ms_mean").as_double() == Approx(2));
  CHECK(line.at("connections") == 4);
  auto text = top_text(line, true);
  CHECK(text.find("in/s") != std::string::npos);
  CHECK(text.find("g1 7.5") != std::string::npos);
  // An idle second: no latency to tell.
  auto idle = top_line(before, before);
  CHECK(idle.at("send_p99_ms").is_null());
  CHECK(top_text(idle, false).find(" - ") != std::string::npos);
}
