#include "actors/budget_slices.hpp"

#include <algorithm>

namespace switchboard::actors {

namespace {

std::int64_t ms_until(budget_slices::clock::time_point t,
                      budget_slices::clock::time_point now) {
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(t - now).count();
  return std::max<std::int64_t>(1, ms);
}

}  // namespace

std::string budget_slices::key(std::size_t budget, const std::string& user) {
  std::string k(1, static_cast<char>(budget));
  k += user;
  return k;
}

budget_slices::outcome budget_slices::take(std::size_t budget,
                                           const std::string& user, double cost,
                                           double slice, double credit,
                                           clock::time_point now) {
  std::lock_guard<std::mutex> lock(mtx_);
  if (slices_.size() >= sweep_at_) sweep(now);
  auto& s = slices_[key(budget, user)];
  s.touched = now;
  outcome o;
  if (now < s.local_until) {
    o.what = outcome::kind::local;
    return o;
  }
  if (s.tokens > 0 && now >= s.expires) s.tokens = 0;
  bool ok = s.tokens >= cost;
  if (!ok && now < s.refused_until) {
    o.what = outcome::kind::refused;
    o.wait_ms = ms_until(s.refused_until, now);
    return o;
  }
  // On credit: up to `credit` ahead of what the owner has said, and always
  // one request when nothing is owed.
  if (!ok) ok = s.tokens >= 0 || s.tokens - cost >= -credit;
  if (ok) s.tokens -= cost;
  if (!s.in_flight && s.tokens < slice / 2) {
    s.in_flight = true;
    o.ask = borrow{budget, user, std::max(0.0, -s.tokens), slice};
  }
  if (!ok) {
    o.what = outcome::kind::refused;
    o.wait_ms = in_flight_wait_ms;
  }
  return o;
}

void budget_slices::lent(const borrow& b, double granted, std::int64_t wait_ms,
                         clock::time_point now) {
  std::lock_guard<std::mutex> lock(mtx_);
  auto& s = slices_[key(b.budget, b.user)];
  s.in_flight = false;
  // The owner paid the debt that went with the loan; what was let through
  // on credit since then is paid by the next.
  s.tokens += b.debt + std::max(0.0, granted);
  s.expires = now + slice_ttl;
  if (granted <= 0)
    s.refused_until =
        now + std::chrono::milliseconds(std::max<std::int64_t>(1, wait_ms));
}

void budget_slices::unreachable(const borrow& b, clock::time_point now) {
  std::lock_guard<std::mutex> lock(mtx_);
  auto& s = slices_[key(b.budget, b.user)];
  s.in_flight = false;
  s.tokens = 0;
  s.local_until = now + local_for;
}

std::size_t budget_slices::size() {
  std::lock_guard<std::mutex> lock(mtx_);
  return slices_.size();
}

void budget_slices::sweep(clock::time_point now) {
  for (auto it = slices_.begin(); it != slices_.end();) {
    auto& s = it->second;
    // What is still owed is forgiven with it: a user idle that long has
    // refilled more than a node can let through on credit.
    if (!s.in_flight && now - s.touched > slice_ttl * 5 &&
        now >= s.refused_until && now >= s.local_until)
      it = slices_.erase(it);
    else
      ++it;
  }
  sweep_at_ = std::max<std::size_t>(4096, slices_.size() * 2);
}

}  // namespace switchboard::actors
