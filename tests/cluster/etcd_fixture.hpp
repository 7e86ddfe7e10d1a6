#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cluster/etcd_client.hpp"
#include "tests/support/etcd_process.hpp"

namespace switchboard::testing {

// A client of `urls`; fails the test if they do not parse.
inline cluster::etcd_client make_client(const std::string& urls,
                                        cluster::etcd_options options = {}) {
  auto c = cluster::etcd_client::create(urls, options);
  INFO((c ? "" : c.err().message));
  REQUIRE(c);
  return std::move(*c);
}

// A test's own etcd and a client of it.
struct etcd_fixture {
  etcd_process etcd;
  cluster::etcd_client client = make_client(etcd.url());
};

// What a watch delivered, for a test to wait on with a deadline. The
// callback runs on the watch's thread; the test reads on its own.
class watch_log {
 public:
  cluster::watch_callback callback() {
    return [this](cluster::result<cluster::watch_response> update) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (update)
        for (auto& e : update->events) events_.push_back(std::move(e));
      else
        end_ = update.err();
      changed_.notify_all();
    };
  }

  // True once at least `n` events arrived, false at the deadline.
  bool wait_events(std::size_t n,
                   std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, limit, [&] { return events_.size() >= n; });
  }

  // The error that ended the watch, or nothing at the deadline.
  std::optional<cluster::error> wait_end(
      std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, limit, [&] { return end_.has_value(); });
    return end_;
  }

  std::vector<cluster::watch_event> events() {
    std::lock_guard<std::mutex> lock(mutex_);
    return events_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<cluster::watch_event> events_;
  std::optional<cluster::error> end_;
};

}  // namespace switchboard::testing
