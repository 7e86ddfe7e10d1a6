#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

#include "metrics/metrics.hpp"

namespace switchboard::app {

// Messages accepted per second over the last minute, sampled once a second.
class messages_rate {
 public:
  explicit messages_rate(const metrics::node_metrics& m)
      : m_(m), thread_([this] { run(); }) {}
  ~messages_rate() { stop(); }

  double per_second() {
    std::lock_guard<std::mutex> lock(mtx_);
    if (samples_.size() < 2) return 0;
    double dt = std::chrono::duration<double>(samples_.back().first -
                                              samples_.front().first)
                    .count();
    return dt > 0 ? static_cast<double>(samples_.back().second -
                                        samples_.front().second) /
                        dt
                  : 0;
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lock(mtx_);
      if (stopping_) return;
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  void run() {
    std::unique_lock<std::mutex> lock(mtx_);
    while (!stopping_) {
      samples_.emplace_back(std::chrono::steady_clock::now(),
                            m_.messages_accepted.value());
      if (samples_.size() > 61) samples_.pop_front();
      cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; });
    }
  }

  const metrics::node_metrics& m_;
  std::mutex mtx_;
  std::condition_variable cv_;
  std::deque<std::pair<std::chrono::steady_clock::time_point, std::uint64_t>>
      samples_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace switchboard::app
