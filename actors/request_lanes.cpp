#include "actors/request_lanes.hpp"

namespace switchboard::actors {

bool request_lanes::arrive(const client_frame& f) {
  auto [it, fresh] =
      lanes_.try_emplace(key{f.conv_id(), std::string(f.type())});
  if (fresh) return true;  // the lane was free: in flight now
  it->second.push_back(f);
  return false;
}

std::vector<client_frame> request_lanes::done(const client_frame& f) {
  auto it = lanes_.find(key{f.conv_id(), std::string(f.type())});
  if (it == lanes_.end()) return {};
  if (it->second.empty()) {
    lanes_.erase(it);
    return {};
  }
  auto waiting = std::move(it->second);
  it->second.clear();
  return waiting;
}

}  // namespace switchboard::actors
