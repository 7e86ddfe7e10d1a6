#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace switchboard::actors {

// Token buckets, one per user, shared by every way a user sends (WebSocket
// and REST). Thread-safe. Full buckets are forgotten now and then, so an
// idle user costs nothing.
class rate_limiter {
 public:
  using clock = std::chrono::steady_clock;

  rate_limiter(double rate_per_s, double burst);

  // Takes `cost` tokens (one by default; at most the burst) from `user`'s
  // bucket. Returns 0 when they were there, otherwise the milliseconds
  // until they will be (at least 1).
  std::int64_t try_take(const std::string& user, clock::time_point now,
                        double cost = 1.0);

 private:
  struct bucket {
    double tokens;
    clock::time_point updated;
  };

  void sweep(clock::time_point now);  // requires mtx_

  double rate_;
  double burst_;
  std::mutex mtx_;
  std::unordered_map<std::string, bucket> buckets_;
  std::size_t sweep_at_ = 4096;
};

}  // namespace switchboard::actors
