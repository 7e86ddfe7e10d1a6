#include "actors/request_timer.hpp"

namespace switchboard::actors {

std::optional<request_timer::clock::time_point> request_timer::track(
    caf::message_id id, clock::time_point deadline) {
  auto key = id.integer_value();
  if (auto old = pending_.find(key); old != pending_.end()) {
    by_deadline_.erase(old->second);
    pending_.erase(old);
  }
  pending_.emplace(key, by_deadline_.emplace(deadline, key));
  if (armed_ && *armed_ <= deadline) return std::nullopt;
  armed_ = deadline;
  return deadline;
}

void request_timer::answered(caf::message_id id) {
  auto it = pending_.find(id.integer_value());
  if (it == pending_.end()) return;
  by_deadline_.erase(it->second);
  pending_.erase(it);
}

std::vector<caf::message_id> request_timer::expire(
    clock::time_point due, clock::time_point now,
    std::optional<clock::time_point>& next) {
  next.reset();
  std::vector<caf::message_id> out;
  if (!armed_ || *armed_ != due) return out;  // superseded by an earlier one
  armed_.reset();
  while (!by_deadline_.empty() && by_deadline_.begin()->first <= now) {
    auto key = by_deadline_.begin()->second;
    out.emplace_back(key);
    pending_.erase(key);
    by_deadline_.erase(by_deadline_.begin());
  }
  if (!by_deadline_.empty()) {
    armed_ = by_deadline_.begin()->first;
    next = armed_;
  }
  return out;
}

}  // namespace switchboard::actors
