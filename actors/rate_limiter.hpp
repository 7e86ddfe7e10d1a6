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

  // What lend() gave: `granted` tokens (0 to the `want` asked for), and
  // while the bucket is empty, the milliseconds until it holds one again.
  struct loan {
    double granted = 0;
    std::int64_t wait_ms = 0;
  };
  // Lends tokens of `user`'s bucket to another node (budget_slices.hpp):
  // first takes `debt` (what that node let through on credit) even if it
  // empties the bucket, down to minus 16 bursts, then up to `want` more.
  loan lend(const std::string& user, double debt, double want,
            clock::time_point now);

 private:
  struct bucket {
    double tokens;
    clock::time_point updated;
  };

  // `user`'s bucket, refilled up to `now`; requires mtx_.
  bucket& refilled(const std::string& user, clock::time_point now);
  std::int64_t wait_for(double tokens, double cost) const;
  void sweep(clock::time_point now);  // requires mtx_

  double rate_;
  double burst_;
  std::mutex mtx_;
  std::unordered_map<std::string, bucket> buckets_;
  std::size_t sweep_at_ = 4096;
};

}  // namespace switchboard::actors
