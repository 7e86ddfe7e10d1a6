// The directory's frozen shards (docs/ARCHITECTURE.md "cluster/"): a shard
// that moves away, or pauses for a joining copy, admits no write outside
// its actors and starts no actor, and its actors are stopped before its
// keys are copied.
#include <caf/all.hpp>

#include "actors/conversation_actor.hpp"
#include "actors/directory.hpp"
#include "actors/user_actor.hpp"
#include "storage/shard.hpp"

namespace switchboard::actors {

bool directory::frozen_locked(const std::string& id) const {
  if (frozen_.empty() || frozen_shards_ == 0) return false;
  return frozen_.count(storage::shard_of(id, frozen_shards_)) != 0;
}

bool directory::freeze_shard(std::uint32_t shard, std::uint32_t shards,
                             std::chrono::milliseconds timeout) {
  // Its users' actors stop (quiesce_shard, which starts the wait again),
  // and their connections wait to register again, for leaderless_time
  // at most (then they close): a shard that stays frozen (its actors did
  // not stop) is not unsettled for longer.
  settle_by(shard, std::chrono::steady_clock::now() + leaderless_time);
  std::unique_lock<std::mutex> lock(mtx_);
  frozen_shards_ = shards;
  frozen_[shard] = 1;
  return writes_left_.wait_for(lock, timeout, [&] {
    auto it = writes_in_.find(shard);
    return it == writes_in_.end() || it->second == 0;
  });
}

void directory::thaw_shard(std::uint32_t shard) {
  {
    std::lock_guard<std::mutex> lock(mtx_);
    frozen_.erase(shard);
  }
  settle_by(shard, std::chrono::steady_clock::now() + settle_time);
}

bool directory::enter_writes(const std::vector<std::string>& ids) {
  auto routes = std::atomic_load(&routes_);
  if (!routes || routes->empty()) return true;  // standalone
  auto n = static_cast<std::uint32_t>(routes->size());
  std::lock_guard<std::mutex> lock(mtx_);
  for (auto& id : ids) {
    auto s = storage::shard_of(id, n);
    if ((*routes)[s].what != shard_route::kind::local || frozen_.count(s))
      return false;
  }
  for (auto& id : ids) ++writes_in_[storage::shard_of(id, n)];
  return true;
}

void directory::leave_writes(const std::vector<std::string>& ids) {
  auto routes = std::atomic_load(&routes_);
  if (!routes || routes->empty()) return;
  auto n = static_cast<std::uint32_t>(routes->size());
  {
    std::lock_guard<std::mutex> lock(mtx_);
    for (auto& id : ids) {
      auto it = writes_in_.find(storage::shard_of(id, n));
      if (it != writes_in_.end() && it->second > 0 && --it->second == 0)
        writes_in_.erase(it);
    }
  }
  writes_left_.notify_all();
}

bool directory::quiesce_shard(std::uint32_t shard, std::uint32_t shards,
                              std::chrono::milliseconds timeout) {
  std::vector<conversation_actor> convs;
  std::vector<user_actor> users;
  // The users' connections begin their wait for an actor now (the
  // freeze's write wait may have taken a while).
  settle_by(shard, std::chrono::steady_clock::now() + leaderless_time);
  {
    std::lock_guard<std::mutex> lock(mtx_);
    auto in_shard = [&](const std::string& id) {
      return storage::shard_of(id, shards) == shard;
    };
    for (auto it = conversations_.begin(); it != conversations_.end();)
      if (in_shard(it->first)) {
        convs.push_back(it->second);
        it = conversations_.erase(it);
      } else {
        ++it;
      }
    for (auto it = users_.begin(); it != users_.end();)
      if (in_shard(it->first)) {
        users.push_back(it->second);
        online_.erase(it->first);
        it = users_.erase(it);
      } else {
        ++it;
      }
  }
  std::size_t left = convs.size() + users.size();
  if (left == 0) return true;
  caf::scoped_actor self{sys_};
  // A conversation answers what reached it first (its writes become
  // durable, and so part of the copy); a user's actor holds nothing that
  // needs it (its sessions register again with the next owner).
  for (auto& a : convs) {
    self->monitor(a);
    caf::anon_send(a, move_atom::value);
  }
  for (auto& a : users) {
    self->monitor(a);
    self->send_exit(a, caf::exit_reason::user_shutdown);
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool in_time = true;
  while (left > 0 && in_time) {
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (wait.count() <= 0) break;
    self->receive([&](caf::down_msg&) { --left; },
                  caf::after(wait) >> [&] { in_time = false; });
  }
  return left == 0;
}

}  // namespace switchboard::actors
