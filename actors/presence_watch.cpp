#include "actors/presence_watch.hpp"

namespace switchboard::actors {

std::uint64_t presence_watch::begin_check(
    const std::vector<std::string>& users) {
  auto n = ++next_;
  for (auto& u : users) checks_[u].begun = n;
  return n;
}

bool presence_watch::decide(const std::string& user, std::uint64_t n,
                            bool visible) {
  auto it = checks_.find(user);
  if (it == checks_.end() || it->second.begun != n) return false;
  it->second.decided = n;
  it->second.visible = visible;
  return true;
}

bool presence_watch::visible(const std::string& user) const {
  auto it = checks_.find(user);
  return it != checks_.end() && it->second.decided != 0 && it->second.visible;
}

bool presence_watch::may_keep(const std::string& user, std::uint64_t n) const {
  auto it = checks_.find(user);
  if (it == checks_.end()) return true;
  return it->second.decided <= n || it->second.visible;
}

bool presence_watch::watch(const caf::actor_addr& at, const std::string& user) {
  auto it = by_user_.find(user);
  if (it != by_user_.end()) {
    if (it->second == at) return false;
    // The user's actor changed (its shard moved): the old one is done.
    watched_.erase(it->second);
    it->second = at;
  } else {
    by_user_.emplace(user, at);
  }
  watched_[at] = user;
  return true;
}

bool presence_watch::told(const std::string& user, bool online,
                          std::int64_t last_seen) {
  // An online user's last_seen is the time of asking: not news.
  auto now = std::make_pair(online, online ? std::int64_t{0} : last_seen);
  auto [it, fresh] = told_.emplace(user, now);
  if (fresh) return true;
  if (it->second == now) return false;
  it->second = now;
  return true;
}

void presence_watch::answered(const std::string& user) {
  auto it = asking_.find(user);
  if (it != asking_.end() && --it->second <= 0) asking_.erase(it);
}

bool presence_watch::watching_at(const caf::actor_addr& at,
                                 const std::string& user) const {
  auto it = by_user_.find(user);
  return it != by_user_.end() && it->second == at;
}

bool presence_watch::watching(const std::string& user) const {
  return by_user_.count(user) != 0;
}

caf::actor_addr presence_watch::unwatch(const std::string& user) {
  auto it = by_user_.find(user);
  if (it == by_user_.end()) return {};
  auto at = it->second;
  by_user_.erase(it);
  watched_.erase(at);
  return at;
}

std::optional<std::string> presence_watch::gone(const caf::actor_addr& at) {
  auto it = watched_.find(at);
  if (it == watched_.end()) return std::nullopt;
  auto user = std::move(it->second);
  watched_.erase(it);
  by_user_.erase(user);
  return user;
}

}  // namespace switchboard::actors
