#include <algorithm>
#include <iterator>

#include "actors/directory.hpp"

// The directory's part in channels (conversation_channel.cpp): which
// channels watch each user of this node's shards, and which of those users
// are online. The user's actor tells it every change (user_online) and the
// channels to tell; a channel that starts watching learns who is online
// now. Both happen under the directory's mutex, so a change is never lost
// between the two: either the watch sees it, or the change sees the watch.
namespace switchboard::actors {

std::vector<directory::online_user> directory::watch_channel(
    const std::string& conv, const conversation_actor& channel,
    const std::vector<std::string>& users, std::vector<std::string>& refused) {
  std::lock_guard<std::mutex> lock(mtx_);
  std::vector<online_user> out;
  for (auto& u : users) {
    if (frozen_locked(u)) {
      refused.push_back(u);
      continue;
    }
    auto& ws = watches_[u];
    auto it = std::find_if(ws.begin(), ws.end(), [&](const channel_watch& w) {
      return w.conv == conv;
    });
    if (it == ws.end())
      ws.push_back({conv, channel});
    else
      it->actor = channel;
    auto on = online_.find(u);
    if (on == online_.end()) continue;
    auto ua = users_.find(u);
    if (ua == users_.end()) continue;
    out.push_back({u, on->second, caf::actor_cast<caf::actor>(ua->second)});
  }
  return out;
}

void directory::unwatch_channel(const std::string& conv,
                                const std::vector<std::string>& users,
                                const caf::actor_addr& channel) {
  std::lock_guard<std::mutex> lock(mtx_);
  for (auto& u : users) {
    auto it = watches_.find(u);
    if (it == watches_.end()) continue;
    auto& ws = it->second;
    ws.erase(std::remove_if(ws.begin(), ws.end(),
                            [&](const channel_watch& w) {
                              return w.conv == conv &&
                                     (!channel || w.actor.address() == channel);
                            }),
             ws.end());
    if (ws.empty()) watches_.erase(it);
  }
}

void directory::unwatch_channel_actor(const caf::actor_addr& channel) {
  std::lock_guard<std::mutex> lock(mtx_);
  for (auto it = watches_.begin(); it != watches_.end();) {
    auto& ws = it->second;
    ws.erase(std::remove_if(ws.begin(), ws.end(),
                            [&](const channel_watch& w) {
                              return w.actor.address() == channel;
                            }),
             ws.end());
    it = ws.empty() ? watches_.erase(it) : std::next(it);
  }
}

std::vector<conversation_actor> directory::user_online(
    const std::string& user, bool online, std::uint64_t gen,
    const caf::actor_addr& actor) {
  std::lock_guard<std::mutex> lock(mtx_);
  auto ua = users_.find(user);
  if (ua == users_.end() || ua->second.address() != actor) return {};
  if (online)
    online_[user] = gen;
  else
    online_.erase(user);
  std::vector<conversation_actor> out;
  if (auto it = watches_.find(user); it != watches_.end())
    for (auto& w : it->second) out.push_back(w.actor);
  return out;
}

void directory::add_channel(const std::string& conv,
                            const conversation_actor& a) {
  std::lock_guard<std::mutex> lock(mtx_);
  channels_[conv] = a;
}

void directory::remove_channel(const std::string& conv,
                               const caf::actor_addr& a) {
  std::lock_guard<std::mutex> lock(mtx_);
  auto it = channels_.find(conv);
  if (it != channels_.end() && it->second.address() == a) channels_.erase(it);
}

}  // namespace switchboard::actors
