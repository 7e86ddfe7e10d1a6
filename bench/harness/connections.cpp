#include "bench/harness/connections.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "bench/harness/connection.hpp"
#include "bench/harness/tokens.hpp"

namespace switchboard::bench {

namespace asio = boost::asio;
using clock_type = std::chrono::steady_clock;

namespace {

bool is_welcome(std::string_view text) {
  return text.find("\"type\":\"welcome\"") != std::string_view::npos;
}

std::string error_code_of(std::string_view text) {
  auto p = text.find("\"code\":\"");
  if (p == std::string_view::npos) return "unknown";
  p += 8;
  return std::string(text.substr(p, text.find('"', p) - p));
}

class storm {
 public:
  explicit storm(const options& o) : o_(o), timer_(ioc_) {}

  results run() {
    r_.scenario = "connect";
    r_.connections = o_.connections;
    // A slot reconnects as the same user: its token is signed once.
    for (int i = 0; i < o_.connections; ++i)
      tokens_.push_back(make_token(o_, "storm-" + std::to_string(i)));
    start_ = clock_type::now();
    for (int i = 0; i < o_.connections; ++i) next(i);
    timer_.expires_after(std::chrono::duration_cast<clock_type::duration>(
        std::chrono::duration<double>(o_.duration_s)));
    timer_.async_wait([this](boost::system::error_code) {
      running_ = false;
      r_.seconds =
          std::chrono::duration<double>(clock_type::now() - start_).count();
      progress_.cancel();
    });
    if (o_.progress) show_progress();
    ioc_.run();
    return r_;
  }

 private:
  void show_progress() {
    progress_.expires_after(std::chrono::seconds(1));
    progress_.async_wait([this](boost::system::error_code ec) {
      if (ec || !running_) return;
      std::uint64_t errors = 0;
      for (auto& [_, n] : r_.errors) errors += n;
      std::fprintf(
          stderr, "[%3.0fs] handshakes %llu errors %llu\n",
          std::chrono::duration<double>(clock_type::now() - start_).count(),
          static_cast<unsigned long long>(r_.handshakes),
          static_cast<unsigned long long>(errors));
      show_progress();
    });
  }

  void next(int slot) {
    if (!running_) return;
    auto c = connection::create(ioc_);
    auto begun = clock_type::now();
    auto& node = node_of(o_, slot);
    c->open(
        node.host, node.port, tokens_[static_cast<std::size_t>(slot)],
        [this, slot](bool ok, const std::string& err) {
          if (ok) return;
          ++r_.errors[err.rfind("connect", 0) == 0 ? "connect" : "handshake"];
          next(slot);
        },
        [this, slot, c_weak = std::weak_ptr<connection>(c),
         begun](std::string_view text) {
          auto c = c_weak.lock();
          if (!c) return;
          if (is_welcome(text)) {
            ++r_.handshakes;
            r_.handshake.record(static_cast<std::uint64_t>(
                std::chrono::duration_cast<std::chrono::nanoseconds>(
                    clock_type::now() - begun)
                    .count()));
          } else {
            ++r_.errors[error_code_of(text)];
          }
          c->close();
          next(slot);
        });
  }

  const options& o_;
  asio::io_context ioc_;
  asio::steady_timer timer_, progress_{ioc_};
  results r_;
  std::vector<std::string> tokens_;  // by slot
  bool running_ = true;
  clock_type::time_point start_;
};

long rss_kb(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

// The nodes' RSS summed; -1 when there is none, or one cannot be read.
long rss_kb(const std::vector<int>& pids) {
  if (pids.empty()) return -1;
  long sum = 0;
  for (int pid : pids) {
    long kb = rss_kb(pid);
    if (kb < 0) return -1;
    sum += kb;
  }
  return sum;
}

}  // namespace

results run_connect(const options& o) { return storm(o).run(); }

results run_idle(const options& o) {
  results r;
  r.scenario = "idle";
  r.connections = o.connections;
  asio::io_context ioc;
  std::vector<std::shared_ptr<connection>> conns;
  long before = rss_kb(o.node_pids);
  int welcomed = 0, failed = 0, in_flight = 0;
  int next = 0;
  auto start = clock_type::now();
  // Opens connections with at most 256 handshakes in flight.
  std::function<void()> open_more = [&] {
    while (in_flight < 256 && next < o.connections) {
      auto c = connection::create(ioc);
      conns.push_back(c);
      ++in_flight;
      auto begun = clock_type::now();
      auto& node = node_of(o, next);
      c->open(
          node.host, node.port, make_token(o, "idle-" + std::to_string(next++)),
          [&](bool ok, const std::string&) {
            if (ok) return;
            ++failed;
            --in_flight;
            ++r.errors["connect"];
            open_more();
          },
          [&, begun](std::string_view text) {
            if (!is_welcome(text)) return;
            r.handshake.record(static_cast<std::uint64_t>(
                std::chrono::duration_cast<std::chrono::nanoseconds>(
                    clock_type::now() - begun)
                    .count()));
            ++welcomed;
            --in_flight;
            open_more();
          });
    }
  };
  open_more();
  asio::steady_timer timer(ioc);
  clock_type::time_point held_from;
  std::function<void()> ping = [&] {
    if (clock_type::now() - held_from >=
        std::chrono::duration<double>(o.duration_s)) {
      long after = rss_kb(o.node_pids);
      if (before >= 0 && after >= 0 && welcomed > 0)
        r.rss_kb_per_connection =
            static_cast<double>(after - before) / welcomed;
      r.seconds =
          std::chrono::duration<double>(clock_type::now() - start).count();
      for (auto& c : conns) c->close();
      ioc.stop();
      return;
    }
    for (auto& c : conns) c->send(R"({"type":"ping"})");
    auto wait = std::min(std::chrono::duration<double>(5),
                         std::chrono::duration<double>(o.duration_s));
    timer.expires_after(std::chrono::duration_cast<clock_type::duration>(wait));
    timer.async_wait([&](boost::system::error_code) { ping(); });
  };
  // Holds the connections for the duration once all are open; pings keep
  // them inside the node's heartbeat.
  auto last_progress = start;
  std::function<void()> hold = [&] {
    if (welcomed + failed < o.connections) {
      if (o.progress &&
          clock_type::now() - last_progress >= std::chrono::seconds(1)) {
        last_progress = clock_type::now();
        std::fprintf(
            stderr, "[%3.0fs] open %d of %d, failed %d\n",
            std::chrono::duration<double>(clock_type::now() - start).count(),
            welcomed, o.connections, failed);
      }
      timer.expires_after(std::chrono::milliseconds(50));
      return timer.async_wait([&](boost::system::error_code) { hold(); });
    }
    if (o.progress)
      std::fprintf(
          stderr, "[%3.0fs] all %d open; holding them %.0f s\n",
          std::chrono::duration<double>(clock_type::now() - start).count(),
          welcomed, o.duration_s);
    r.handshakes = static_cast<std::uint64_t>(welcomed);
    held_from = clock_type::now();
    ping();
  };
  hold();
  ioc.run();
  if (failed > 0) std::fprintf(stderr, "%d connections failed\n", failed);
  return r;
}

}  // namespace switchboard::bench
