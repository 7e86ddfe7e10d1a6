#pragma once

// The fixture of the coordinator's tests: a test's own etcd, options for
// coordinators of it, and what they logged and changed, to wait on.
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "cluster/coordinator.hpp"
#include "cluster/endpoint_list.hpp"
#include "cluster/gateway_post.hpp"
#include "tests/cluster/etcd_fixture.hpp"

namespace switchboard::testing {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

// What the coordinators of a test logged and how often their copies
// changed; `eventually` waits on it with a deadline that fails the test.
class coordinator_events {
 public:
  cluster::log_callback log() {
    return [this](std::string_view level, std::string_view event,
                  std::string_view detail) {
      std::lock_guard<std::mutex> lock(mutex_);
      auto line = std::string(level) + " " + std::string(event) + ": " +
                  std::string(detail);
      if (std::getenv("SB_TEST_LOG"))  // to see them while debugging a test
        std::fprintf(stderr, "%s\n", line.c_str());
      logged_.push_back(std::move(line));
      changed_.notify_all();
    };
  }
  std::function<void()> on_change() {
    return [this] {
      std::lock_guard<std::mutex> lock(mutex_);
      ++changes_;
      changed_.notify_all();
    };
  }

  // True once `pred` holds, false at the deadline. Woken by every change
  // and log line, and every 20 ms for conditions that only time changes
  // (lease_valid).
  template <class Pred>
  bool eventually(Pred pred, std::chrono::milliseconds limit = 10s) {
    auto deadline = steady::now() + limit;
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      lock.unlock();
      bool done = pred();
      lock.lock();
      if (done) return true;
      if (steady::now() >= deadline) return false;
      changed_.wait_for(lock, 20ms);
    }
  }

  // Some line has "<event>: ..." with `detail` in it.
  bool logged(std::string_view event, std::string_view detail = {}) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto name = " " + std::string(event) + ": ";
    for (auto& line : logged_) {
      auto at = line.find(name);
      if (at != std::string::npos &&
          line.find(detail, at + name.size()) != std::string::npos)
        return true;
    }
    return false;
  }
  std::size_t changes() {
    std::lock_guard<std::mutex> lock(mutex_);
    return changes_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> logged_;
  std::size_t changes_ = 0;
};

struct coordinator_fixture : etcd_fixture {
  coordinator_events events;

  cluster::coordinator_options options(const std::string& id,
                                       std::uint32_t shards) {
    cluster::coordinator_options o;
    o.etcd = etcd.url();
    o.cluster = "sb";
    o.self.id = id;
    o.self.cluster_addr = "127.0.0.1:" + std::to_string(7100 + id[0]);
    o.self.client_addr = "127.0.0.1:7000";
    o.self.admin_addr = "127.0.0.1:7001";
    o.self.version = "test";
    o.ttl_s = 2;
    o.shards = shards;
    o.etcd_opts.request_timeout = 1000ms;
    o.log = events.log();
    o.on_change = events.on_change();
    return o;
  }

  std::unique_ptr<cluster::coordinator> start(const std::string& id,
                                              std::uint32_t shards = 0) {
    auto c = cluster::coordinator::start(options(id, shards));
    INFO((c ? "" : c.err().message));
    REQUIRE(c);
    return std::move(*c);
  }

  // A node whose etcd connections all go through `etcd_url` (a proxy's).
  std::unique_ptr<cluster::coordinator> start_through(
      const std::string& etcd_url, const std::string& id,
      std::uint32_t shards = 0) {
    auto o = options(id, shards);
    o.etcd = etcd_url;
    auto c = cluster::coordinator::start(o);
    INFO((c ? "" : c.err().message));
    REQUIRE(c);
    return std::move(*c);
  }

  static std::set<std::string> live(const cluster::coordinator& c) {
    std::set<std::string> out;
    for (auto& n : c.live_nodes()) out.insert(n.id);
    return out;
  }
};

using ids = std::set<std::string>;

// Compacts etcd's history up to `revision` (the client has no call for it:
// a node never compacts).
inline void compact(const std::string& url, std::int64_t revision) {
  auto eps = cluster::parse_endpoints(url);
  REQUIRE(eps);
  cluster::endpoint_list list(std::move(*eps));
  auto answer = cluster::gateway_post(
      list, cluster::etcd_options{}, "/v3/kv/compaction",
      R"({"revision":")" + std::to_string(revision) + R"(","physical":true})");
  REQUIRE(answer);
  INFO(answer->body);
  REQUIRE(answer->status == 200);
}

}  // namespace switchboard::testing
