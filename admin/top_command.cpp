#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <thread>

#include "admin/command_table.hpp"
#include "admin/top.hpp"

// The admin shell's `top`: the node's activity, one line a second, from
// the differences between samples of /admin/v1/top (as redis-cli --stat).
namespace switchboard::admin {

namespace json = boost::json;

namespace {

double num(const json::value& v) {
  return v.is_double()   ? v.as_double()
         : v.is_int64()  ? static_cast<double>(v.as_int64())
         : v.is_uint64() ? static_cast<double>(v.as_uint64())
                         : 0;
}

// Bucket counts of `h` in `now` minus those in `before`.
std::vector<double> bucket_deltas(const json::object& now,
                                  const json::object& before) {
  auto& a = now.at("counts").as_array();
  auto& b = before.at("counts").as_array();
  std::vector<double> out;
  for (std::size_t i = 0; i < a.size(); ++i)
    out.push_back(num(a[i]) - (i < b.size() ? num(b[i]) : 0));
  return out;
}

}  // namespace

double interval_quantile(const std::vector<double>& bounds,
                         const std::vector<double>& counts, double q) {
  double total = 0;
  for (auto c : counts) total += c;
  if (total <= 0) return -1;
  double want = q * total, seen = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (seen + counts[i] >= want && counts[i] > 0) {
      if (i >= bounds.size()) return bounds.empty() ? -1 : bounds.back();
      double lo = i == 0 ? 0 : bounds[i - 1], hi = bounds[i];
      return lo + (hi - lo) * (want - seen) / counts[i];
    }
    seen += counts[i];
  }
  return bounds.empty() ? -1 : bounds.back();
}

json::object top_line(const json::object& now, const json::object& before) {
  double secs = (num(now.at("ts_ms")) - num(before.at("ts_ms"))) / 1000;
  if (secs <= 0) secs = 1;
  auto rate = [&](const char* k) {
    return std::llround((num(now.at(k)) - num(before.at(k))) / secs);
  };
  auto& sl = now.at("send_latency").as_object();
  std::vector<double> bounds;
  for (auto& b : sl.at("bounds").as_array()) bounds.push_back(num(b));
  auto d = bucket_deltas(sl, before.at("send_latency").as_object());
  auto ms = [&](double q) {
    auto v = interval_quantile(bounds, d, q);
    return v < 0 ? json::value(nullptr) : json::value(v * 1000);
  };
  auto mean = [&](const char* k, double scale) {
    auto& a = now.at(k).as_object();
    auto& b = before.at(k).as_object();
    double n = num(a.at("count")) - num(b.at("count"));
    return n <= 0
               ? json::value(nullptr)
               : json::value((num(a.at("sum")) - num(b.at("sum"))) / n * scale);
  };
  return json::object{{"ts_ms", now.at("ts_ms")},
                      {"messages_in_per_s", rate("accepted")},
                      {"deliveries_per_s", rate("delivered")},
                      {"connections", now.at("connections")},
                      {"users_online", now.at("users_online")},
                      {"active_conversations", now.at("active_conversations")},
                      {"send_p50_ms", ms(0.5)},
                      {"send_p99_ms", ms(0.99)},
                      {"commit_batches_mean", mean("commit_batches", 1)},
                      {"commit_ms_mean", mean("commit_seconds", 1000)},
                      {"slowest", now.at("slowest")}};
}

std::string top_text(const json::object& line, bool header) {
  auto f = [](const json::value& v, const char* fmt) {
    if (v.is_null()) return std::string("-");
    char buf[32];
    std::snprintf(buf, sizeof buf, fmt, num(v));
    return std::string(buf);
  };
  std::string out;
  if (header)
    out +=
        "    in/s   deliv/s  conns online  convs  p50 ms  p99 ms batch  "
        "fsync ms  slowest (conv ms)\n";
  char row[160];
  std::snprintf(row, sizeof row, "%8s %9s %6s %6s %6s %7s %7s %5s %9s  ",
                f(line.at("messages_in_per_s"), "%.0f").c_str(),
                f(line.at("deliveries_per_s"), "%.0f").c_str(),
                f(line.at("connections"), "%.0f").c_str(),
                f(line.at("users_online"), "%.0f").c_str(),
                f(line.at("active_conversations"), "%.0f").c_str(),
                f(line.at("send_p50_ms"), "%.2f").c_str(),
                f(line.at("send_p99_ms"), "%.2f").c_str(),
                f(line.at("commit_batches_mean"), "%.1f").c_str(),
                f(line.at("commit_ms_mean"), "%.2f").c_str());
  out += row;
  std::size_t shown = 0;
  for (auto& s : line.at("slowest").as_array()) {
    if (shown++ == 3) break;
    out += std::string(s.at("conv_id").as_string()) + " " +
           f(s.at("ms"), "%.1f") + "  ";
  }
  return out + "\n";
}

namespace detail {

std::vector<command> top_commands() {
  return {{"top", "top [SAMPLES]",
           "The node's activity each second: messages in and deliveries per "
           "second, connections, users online, active conversations, send "
           "p50/p99 over the second, the mean group commit size and write "
           "time, the slowest conversations; SAMPLES lines (default: until "
           "interrupted). With --json one JSON object a line.",
           0, 1, "-", [](client& c, const args_t& a, bool j) -> outcome {
             long samples = -1;
             if (!a.empty()) {
               char* end = nullptr;
               samples = std::strtol(a[0].c_str(), &end, 10);
               if (*end || samples <= 0)
                 return {false, "usage: top [SAMPLES], SAMPLES a count"};
             }
             auto sample = [&]() -> std::optional<json::object> {
               auto r = c.call("GET", "/admin/v1/top");
               boost::system::error_code ec;
               auto v = json::parse(r.body, ec);
               if (r.status != 200 || ec || !v.is_object()) return {};
               return v.as_object();
             };
             auto before = sample();
             if (!before)
               return {false, "the node did not answer /admin/v1/top"};
             for (long n = 0; samples < 0 || n < samples; ++n) {
               // One line a second: the pace of the view, not a wait for
               // anything.
               std::this_thread::sleep_for(std::chrono::seconds(1));
               auto now = sample();
               if (!now) return {false, "the node stopped answering"};
               auto line = top_line(*now, *before);
               std::cout << (j ? json::serialize(line) + "\n"
                               : top_text(line, n % 20 == 0))
                         << std::flush;
               before = std::move(now);
             }
             return {true, ""};
           }}};
}

}  // namespace detail

}  // namespace switchboard::admin
