#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cstdio>
#include <fstream>

#include "bench/harness/results.hpp"

namespace switchboard::bench {

namespace json = boost::json;

namespace {

double ms(std::uint64_t ns) { return static_cast<double>(ns) / 1e6; }

void row(const char* name, const histogram& h) {
  if (h.count() == 0) return;
  std::printf("| %-18s | %9llu | %8.3f | %8.3f | %8.3f | %8.3f | %8.3f |\n",
              name, static_cast<unsigned long long>(h.count()),
              ms(h.percentile(50)), ms(h.percentile(90)), ms(h.percentile(99)),
              ms(h.percentile(99.9)), ms(h.max()));
}

json::object to_json(const histogram& h) {
  return json::object{{"count", h.count()},
                      {"p50_ms", ms(h.percentile(50))},
                      {"p90_ms", ms(h.percentile(90))},
                      {"p99_ms", ms(h.percentile(99))},
                      {"p999_ms", ms(h.percentile(99.9))},
                      {"max_ms", ms(h.max())}};
}

}  // namespace

void report(const results& r, const std::string& json_file) {
  double s = r.seconds > 0 ? r.seconds : 1;
  std::printf("\nscenario %s: %d connections over %d node%s, %.1f s\n",
              r.scenario.c_str(), r.connections, r.nodes,
              r.nodes == 1 ? "" : "s", r.seconds);
  if (r.scenario == "idle") {
    std::printf("| held | |\n|---|---:|\n");
    std::printf("| connections open | %llu |\n",
                static_cast<unsigned long long>(r.handshakes));
  } else {
    std::printf("| rate | per second |\n|---|---:|\n");
  }
  bool messaging = r.scenario == "direct" || r.scenario == "group" ||
                   r.scenario == "channel";
  if (messaging) {
    std::printf("| messages sent | %.0f |\n", static_cast<double>(r.sent) / s);
    std::printf("| messages acknowledged | %.0f |\n",
                static_cast<double>(r.acked) / s);
    std::printf("| deliveries | %.0f |\n", static_cast<double>(r.received) / s);
  }
  if (r.scenario == "connect")
    std::printf("| handshakes | %.0f |\n",
                static_cast<double>(r.handshakes) / s);
  if (r.node_cpu_s >= 0 && r.acked > 0)
    std::printf("| node CPU per message acknowledged | %.1f us |\n",
                r.node_cpu_s * 1e6 / static_cast<double>(r.acked));
  if (r.node_cpu_s >= 0 && r.received > 0 && messaging)
    std::printf("| node CPU per delivery | %.2f us |\n",
                r.node_cpu_s * 1e6 / static_cast<double>(r.received));
  if (r.rss_kb_per_connection >= 0)
    std::printf("| node RSS per connection | %.2f KB |\n",
                r.rss_kb_per_connection);
  std::printf("\n| latency (ms) | count | p50 | p90 | p99 | p99.9 | max |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|\n");
  row("send -> sent", r.send_to_sent);
  row("send -> received", r.send_to_received);
  row("send -> delivered", r.send_to_delivered);
  row("connect -> welcome", r.handshake);
  for (auto& [code, n] : r.errors)
    std::printf("errors %s: %llu\n", code.c_str(),
                static_cast<unsigned long long>(n));
  std::printf("correctness violations: %llu\n",
              static_cast<unsigned long long>(r.violations));
  for (auto& v : r.violation_samples)
    std::printf("  violation: %s\n", v.c_str());

  if (json_file.empty()) return;
  json::object errors;
  for (auto& [code, n] : r.errors) errors[code] = n;
  json::array samples;
  for (auto& v : r.violation_samples) samples.emplace_back(v);
  json::object o{{"scenario", r.scenario},
                 {"seconds", r.seconds},
                 {"connections", r.connections},
                 {"nodes", r.nodes},
                 {"sent_per_s", static_cast<double>(r.sent) / s},
                 {"acked_per_s", static_cast<double>(r.acked) / s},
                 {"deliveries_per_s", static_cast<double>(r.received) / s},
                 {"handshakes", r.handshakes},
                 {"handshakes_per_s", static_cast<double>(r.handshakes) / s},
                 {"send_to_sent", to_json(r.send_to_sent)},
                 {"send_to_received", to_json(r.send_to_received)},
                 {"send_to_delivered", to_json(r.send_to_delivered)},
                 {"connect_to_welcome", to_json(r.handshake)},
                 {"errors", std::move(errors)},
                 {"violations", r.violations},
                 {"violation_samples", std::move(samples)}};
  if (r.node_cpu_s >= 0) o["node_cpu_s"] = r.node_cpu_s;
  if (r.rss_kb_per_connection >= 0)
    o["rss_kb_per_connection"] = r.rss_kb_per_connection;
  std::ofstream(json_file) << json::serialize(o) << "\n";
}

}  // namespace switchboard::bench
