#include "bench/harness/messaging.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <thread>
#include <vector>

#include "bench/harness/worker.hpp"

namespace switchboard::bench {

using clock_type = std::chrono::steady_clock;

namespace {

// User and system CPU seconds of the processes `pids`, from
// /proc/PID/stat; -1 when one cannot be read.
double cpu_s(const std::vector<int>& pids) {
  if (pids.empty()) return -1;
  double ticks = 0;
  for (int pid : pids) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), {});
    auto close = text.rfind(')');  // the command name may hold spaces
    if (close == std::string::npos) return -1;
    std::istringstream fields(text.substr(close + 2));
    std::string f;
    // After the name: state is field 3; utime and stime are 14 and 15.
    for (int k = 3; k <= 13 && fields >> f; ++k) {
    }
    double utime = 0, stime = 0;
    if (!(fields >> utime >> stime)) return -1;
    ticks += utime + stime;
  }
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

}  // namespace

results run_messaging(const options& o) {
  int threads = std::max(1, o.threads);
  int unit = o.scenario == "direct"    ? 2
             : o.scenario == "channel" ? o.online
                                       : o.group_size;
  int units = std::max(1, o.connections / unit);
  std::vector<std::unique_ptr<worker>> workers;
  int first = 0;
  for (int t = 0; t < threads; ++t) {
    int my_units = units / threads + (t < units % threads ? 1 : 0);
    if (my_units == 0) continue;
    double share = o.rate * my_units / units;
    workers.push_back(
        std::make_unique<worker>(o, first, my_units * unit, share));
    first += my_units * unit;
  }
  double cpu_before = cpu_s(o.node_pids);
  std::vector<std::thread> ts;
  for (auto& w : workers) ts.emplace_back([&w] { w->run(); });
  std::atomic<bool> done{false};
  std::vector<results::second> per_second;  // the progress thread's
  std::thread progress([&] {
    auto start = clock_type::now();
    std::uint64_t last_a = 0, last_r = 0;
    while (!done) {
      std::this_thread::sleep_for(
          std::chrono::seconds(1));  // the progress line's pace
      if (done) continue;
      std::uint64_t s = 0, a = 0, r = 0;
      for (auto& w : workers)
        s += w->sent(), a += w->acked(), r += w->received();
      per_second.push_back({a - last_a, r - last_r});
      last_a = a;
      last_r = r;
      if (!o.progress) continue;
      std::fprintf(
          stderr, "[%3.0fs] sent %llu acked %llu received %llu\n",
          std::chrono::duration<double>(clock_type::now() - start).count(),
          static_cast<unsigned long long>(s),
          static_cast<unsigned long long>(a),
          static_cast<unsigned long long>(r));
    }
  });
  for (auto& t : ts) t.join();
  done = true;
  progress.join();
  double cpu_after = cpu_s(o.node_pids);
  results out;
  out.per_second = std::move(per_second);
  if (cpu_before >= 0 && cpu_after >= 0)
    out.node_cpu_s = cpu_after - cpu_before;
  out.scenario = o.scenario;
  out.connections = first;
  for (auto& w : workers) {
    auto& r = w->result();
    out.seconds = std::max(out.seconds, r.seconds);
    out.sent += r.sent;
    out.acked += r.acked;
    out.received += r.received;
    out.send_to_sent.merge(r.send_to_sent);
    out.send_to_received.merge(r.send_to_received);
    out.send_to_delivered.merge(r.send_to_delivered);
    for (auto& [k, v] : r.errors) out.errors[k] += v;
    out.violations += r.violations;
    for (auto& v : r.violation_samples)
      if (out.violation_samples.size() < 10) out.violation_samples.push_back(v);
  }
  return out;
}

}  // namespace switchboard::bench
