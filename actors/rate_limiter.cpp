#include "actors/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace switchboard::actors {

rate_limiter::rate_limiter(double rate_per_s, double burst)
    : rate_(rate_per_s), burst_(std::max(1.0, burst)) {}

rate_limiter::bucket& rate_limiter::refilled(const std::string& user,
                                             clock::time_point now) {
  auto [it, fresh] = buckets_.try_emplace(user, bucket{burst_, now});
  auto& b = it->second;
  if (!fresh) {
    double elapsed = std::chrono::duration<double>(now - b.updated).count();
    b.tokens = std::min(burst_, b.tokens + std::max(0.0, elapsed) * rate_);
    b.updated = now;
  }
  return b;
}

std::int64_t rate_limiter::wait_for(double tokens, double cost) const {
  if (rate_ <= 0) return 1000;
  double wait_ms = std::ceil((cost - tokens) / rate_ * 1000.0);
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(wait_ms));
}

std::int64_t rate_limiter::try_take(const std::string& user,
                                    clock::time_point now, double cost) {
  cost = std::clamp(cost, 0.0, burst_);
  std::lock_guard<std::mutex> lock(mtx_);
  auto& b = refilled(user, now);
  if (b.tokens >= cost) {
    b.tokens -= cost;
    if (buckets_.size() >= sweep_at_) sweep(now);
    return 0;
  }
  return wait_for(b.tokens, cost);
}

rate_limiter::loan rate_limiter::lend(const std::string& user, double debt,
                                      double want, clock::time_point now) {
  // A peer's numbers: nothing but finite amounts counts.
  if (!std::isfinite(debt)) debt = 0;
  if (!std::isfinite(want)) want = 0;
  // Debts are paid in full, down to a floor far below any burst a few
  // nodes could let through on credit, so that the bucket stays bounded.
  double floor = -16 * burst_;
  std::lock_guard<std::mutex> lock(mtx_);
  auto& b = refilled(user, now);
  b.tokens = std::max(floor, b.tokens - std::clamp(debt, 0.0, -floor));
  loan l;
  l.granted = std::clamp(b.tokens, 0.0, std::clamp(want, 0.0, burst_));
  b.tokens -= l.granted;
  if (b.tokens < 1) l.wait_ms = wait_for(b.tokens, 1);
  if (buckets_.size() >= sweep_at_) sweep(now);
  return l;
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
