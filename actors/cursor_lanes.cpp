#include "actors/cursor_lanes.hpp"

#include <algorithm>

namespace switchboard::actors {

bool cursor_lanes::arrive(client_frame f) {
  auto [it, fresh] = lanes_.try_emplace(key_of(f));
  if (fresh) return true;  // the lane was free: in flight now
  it->second.push_back(std::move(f));
  return false;
}

std::optional<cursor_lanes::next> cursor_lanes::done(const client_frame& f) {
  auto it = lanes_.find(key_of(f));
  if (it == lanes_.end()) return std::nullopt;
  if (it->second.empty()) {
    lanes_.erase(it);
    return std::nullopt;
  }
  auto waiting = std::move(it->second);
  it->second.clear();
  auto top = std::max_element(waiting.begin(), waiting.end(),
                              [](const client_frame& a, const client_frame& b) {
                                return a.msg_id < b.msg_id;
                              });
  next n{std::move(*top), {}};
  waiting.erase(top);
  n.folded = std::move(waiting);
  return n;
}

}  // namespace switchboard::actors
