#include "actors/denial_pacer.hpp"

#include <algorithm>

namespace switchboard::actors {

std::chrono::milliseconds denial_pacer::hold(const std::string& user,
                                             std::chrono::milliseconds wait,
                                             std::chrono::milliseconds interval,
                                             clock::time_point now) {
  std::lock_guard<std::mutex> l(m_);
  if (next_.size() >= max_users && !next_.count(user))
    for (auto it = next_.begin(); it != next_.end();)
      it = it->second <= now ? next_.erase(it) : std::next(it);
  auto release = now + wait;
  if (auto it = next_.find(user); it != next_.end())
    release = std::max(release, it->second + interval);
  release = std::min(release, now + max_hold);
  if (next_.size() < max_users || next_.count(user)) next_[user] = release;
  return std::chrono::duration_cast<std::chrono::milliseconds>(release - now);
}

std::size_t denial_pacer::users() const {
  std::lock_guard<std::mutex> l(m_);
  return next_.size();
}

}  // namespace switchboard::actors
