#include "actors/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace switchboard::actors {

rate_limiter::rate_limiter(double rate_per_s, double burst)
    : rate_(rate_per_s), burst_(std::max(1.0, burst)) {}

std::int64_t rate_limiter::try_take(const std::string& user,
                                    clock::time_point now, double cost) {
  cost = std::clamp(cost, 0.0, burst_);
  std::lock_guard<std::mutex> lock(mtx_);
  auto [it, fresh] = buckets_.try_emplace(user, bucket{burst_, now});
  auto& b = it->second;
  if (!fresh) {
    double elapsed = std::chrono::duration<double>(now - b.updated).count();
    b.tokens = std::min(burst_, b.tokens + std::max(0.0, elapsed) * rate_);
    b.updated = now;
  }
  if (b.tokens >= cost) {
    b.tokens -= cost;
    if (buckets_.size() >= sweep_at_) sweep(now);
    return 0;
  }
  if (rate_ <= 0) return 1000;
  double wait_ms = std::ceil((cost - b.tokens) / rate_ * 1000.0);
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(wait_ms));
}

void rate_limiter::sweep(clock::time_point now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    double elapsed =
        std::chrono::duration<double>(now - it->second.updated).count();
    if (it->second.tokens + elapsed * rate_ >= burst_)
      it = buckets_.erase(it);
    else
      ++it;
  }
  sweep_at_ = std::max<std::size_t>(4096, buckets_.size() * 2);
}

}  // namespace switchboard::actors
