// Storage benchmark: durable appends/s through the group-commit writer with
// 1, 16 and 256 concurrent appenders, in sync and async durability, and the
// time to reopen a store holding 1M messages across 10k conversations.
//
// usage: switchboard-bench-storage [--seconds S] [--dir DIR]
//            [--messages N] [--conversations C] [--durability sync|async]
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "storage/conversation_log.hpp"
#include "storage/store.hpp"

namespace fs = std::filesystem;
using namespace switchboard::storage;
using clock_type = std::chrono::steady_clock;

namespace {

struct appender {
  std::unique_ptr<conversation_log> log;
};

// A closed loop: every appender keeps exactly one append in flight.
struct run_state {
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> done{0};
  std::atomic<std::uint64_t> failed{0};
  std::mutex mtx;
  std::condition_variable cv;
  int in_flight = 0;
};

void append_next(appender& a, run_state& st, const std::string& body) {
  message m;
  m.sender = "bench-user";
  m.body = body;
  m.ts_ms = 1;
  m.client_msg_id = "c" + std::to_string(a.log->last_msg_id() + 1);
  auto id = a.log->append(std::move(m), [&a, &st, &body](const status& s) {
    if (s)
      st.done.fetch_add(1, std::memory_order_relaxed);
    else
      st.failed.fetch_add(1, std::memory_order_relaxed);
    if (s && !st.stop.load(std::memory_order_relaxed)) {
      append_next(a, st, body);
      return;
    }
    std::lock_guard<std::mutex> lock(st.mtx);
    if (--st.in_flight == 0) st.cv.notify_all();
  });
  if (!id) {
    std::fprintf(stderr, "append failed: %s\n", id.err().message.c_str());
    std::exit(1);
  }
}

double appends_per_second(const fs::path& dir, durability d, int appenders,
                          double seconds, double* avg_group,
                          double* avg_write_ms) {
  fs::remove_all(dir);
  auto opened = store::open(store_options{dir.string(), d, {}});
  if (!opened) {
    std::fprintf(stderr, "open: %s\n", opened.err().message.c_str());
    std::exit(1);
  }
  auto& s = **opened;
  std::vector<appender> apps(appenders);
  for (int i = 0; i < appenders; ++i) {
    auto log = conversation_log::open(s, "conv-" + std::to_string(i));
    apps[i].log = std::make_unique<conversation_log>(std::move(*log));
  }
  const std::string body(100, 'x');
  run_state st;
  st.in_flight = appenders;
  auto start = clock_type::now();
  for (auto& a : apps) append_next(a, st, body);
  while (clock_type::now() - start < std::chrono::duration<double>(seconds)) {
    std::unique_lock<std::mutex> lock(st.mtx);
    st.cv.wait_for(lock, std::chrono::milliseconds(50));
  }
  st.stop = true;
  {
    std::unique_lock<std::mutex> lock(st.mtx);
    st.cv.wait(lock, [&] { return st.in_flight == 0; });
  }
  double elapsed =
      std::chrono::duration<double>(clock_type::now() - start).count();
  if (st.failed) {
    std::fprintf(stderr, "%llu appends failed\n",
                 static_cast<unsigned long long>(st.failed.load()));
    std::exit(1);
  }
  auto stats = s.stats();
  *avg_group = stats.groups ? double(stats.batches) / double(stats.groups) : 0;
  *avg_write_ms =
      stats.groups ? double(stats.write_ns) / 1e6 / double(stats.groups) : 0;
  return double(st.done) / elapsed;
}

double reopen_seconds(const fs::path& dir, int messages, int conversations) {
  fs::remove_all(dir);
  {
    auto s = store::open(store_options{dir.string(), durability::async, {}});
    if (!s) std::exit(1);
    std::vector<std::unique_ptr<conversation_log>> logs;
    for (int c = 0; c < conversations; ++c)
      logs.push_back(std::make_unique<conversation_log>(std::move(
          *conversation_log::open(**s, "conv-" + std::to_string(c)))));
    const std::string body(100, 'x');
    batch b;
    for (int i = 0; i < messages; ++i) {
      message m;
      m.sender = "user-" + std::to_string(i % 97);
      m.body = body;
      m.ts_ms = i;
      m.client_msg_id = "c" + std::to_string(i);
      (void)*logs[i % conversations]->append(b, m);  // valid by construction
      if (b.size() >= 20000) {
        if (!(*s)->commit_and_wait(std::move(b))) std::exit(1);
        b = batch();
      }
    }
    if (!b.empty() && !(*s)->commit_and_wait(std::move(b))) std::exit(1);
  }  // closing flushes the memtables
  auto start = clock_type::now();
  auto s = store::open(store_options{dir.string(), durability::sync, {}});
  if (!s) std::exit(1);
  auto last = (*s)->last_msg_id("conv-0");
  double t = std::chrono::duration<double>(clock_type::now() - start).count();
  if (!last || *last != static_cast<std::uint64_t>(messages / conversations)) {
    std::fprintf(stderr, "reopened store lost messages\n");
    std::exit(1);
  }
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 3;
  int messages = 1000000, conversations = 10000;
  std::string only;  // "sync" or "async": run just that durability
  fs::path dir =
      fs::temp_directory_path() / ("sb-bench-" + std::to_string(::getpid()));
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--seconds")
      seconds = std::atof(argv[i + 1]);
    else if (k == "--dir")
      dir = argv[i + 1];
    else if (k == "--messages")
      messages = std::atoi(argv[i + 1]);
    else if (k == "--conversations")
      conversations = std::atoi(argv[i + 1]);
    else if (k == "--durability")
      only = argv[i + 1];
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  std::printf(
      "| durability | appenders | appends/s | avg batches per write | avg "
      "write ms |\n");
  std::printf("|---|---:|---:|---:|---:|\n");
  for (auto d : {durability::sync, durability::async}) {
    if (!only.empty() && only != (d == durability::sync ? "sync" : "async"))
      continue;
    for (int n : {1, 16, 256}) {
      double group = 0, write_ms = 0;
      double rate = appends_per_second(dir, d, n, seconds, &group, &write_ms);
      std::printf("| %s | %d | %.0f | %.1f | %.3f |\n",
                  d == durability::sync ? "sync" : "async", n, rate, group,
                  write_ms);
      std::fflush(stdout);
    }
  }
  double t = reopen_seconds(dir, messages, conversations);
  std::printf("\nreopen with %d messages across %d conversations: %.3f s\n",
              messages, conversations, t);
  fs::remove_all(dir);
  return 0;
}
