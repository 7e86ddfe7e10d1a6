#include "actors/denial_pacer.hpp"

#include <algorithm>

namespace switchboard::actors {

void denial_pacer::forget_over(clock::time_point now) {
  while (!order_.empty() && order_.top().first <= now) {
    auto user = order_.top().second;
    order_.pop();
    auto it = next_.find(user);
    if (it == next_.end()) continue;
    if (it->second.over <= now)
      next_.erase(it);
    else
      order_.emplace(it->second.over, std::move(user));
  }
}

std::chrono::milliseconds denial_pacer::hold(const std::string& user,
                                             std::chrono::milliseconds wait,
                                             std::chrono::milliseconds interval,
                                             clock::time_point now) {
  std::lock_guard<std::mutex> l(m_);
  forget_over(now);
  auto release = now + wait;
  auto it = next_.find(user);
  if (it != next_.end())
    release = std::max(release, it->second.release + interval);
  release = std::min(release, now + max_hold);
  pace p{release, release + interval};
  if (it != next_.end()) {
    it->second = p;
  } else if (next_.size() < max_users) {
    next_.emplace(user, p);
    order_.emplace(p.over, user);
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(release - now);
}

std::size_t denial_pacer::users() const {
  std::lock_guard<std::mutex> l(m_);
  return next_.size();
}

}  // namespace switchboard::actors
