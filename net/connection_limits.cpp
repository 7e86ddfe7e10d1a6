#include "net/connection_limits.hpp"

namespace switchboard::net {

connection_limits::slot connection_limits::admit_connection(
    const std::string& ip, refusal& why) {
  std::lock_guard<std::mutex> lock(mtx_);
  if (caps_.node && node_ >= caps_.node) {
    why = refusal::node_full;
    return nullptr;
  }
  auto& n = addresses_[ip];
  if (caps_.per_address && n >= caps_.per_address) {
    why = refusal::address_full;
    return nullptr;
  }
  ++n;
  ++node_;
  why = refusal::none;
  return slot(this, [this, ip](void*) { release(addresses_, ip, true); });
}

connection_limits::slot connection_limits::admit_user(const std::string& user,
                                                      refusal& why) {
  std::lock_guard<std::mutex> lock(mtx_);
  auto& n = users_[user];
  if (caps_.per_user && n >= caps_.per_user) {
    why = refusal::user_full;
    return nullptr;
  }
  ++n;
  why = refusal::none;
  return slot(this, [this, user](void*) { release(users_, user, false); });
}

connection_limits::slot connection_limits::admit_refusal() {
  std::lock_guard<std::mutex> lock(mtx_);
  if (refusing_ >= max_refusing) return nullptr;
  ++refusing_;
  return slot(this, [this](void*) {
    std::lock_guard<std::mutex> lock(mtx_);
    --refusing_;
  });
}

std::size_t connection_limits::connections() const {
  std::lock_guard<std::mutex> lock(mtx_);
  return node_;
}

void connection_limits::release(
    std::unordered_map<std::string, std::size_t>& counts,
    const std::string& key, bool node) {
  std::lock_guard<std::mutex> lock(mtx_);
  if (node) --node_;
  auto it = counts.find(key);
  if (it != counts.end() && --it->second == 0) counts.erase(it);
}

}  // namespace switchboard::net
