#pragma once

#include <caf/actor_addr.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace switchboard::actors {

// The presence one connection subscribed to (PROTOCOL.md `presence` with
// `subscribe`), and the part of it that may be told: a user's actor tells
// the connection of changes only while the latest check of the presence
// policy (presence_policy.hpp) says the two share a conversation. Checks
// run asynchronously and may end out of order: each is numbered, and only
// the latest one begun for a user decides for it. Plain data, owned by the
// session actor.
class presence_watch {
 public:
  // Every user asked for, visible or not: what the cap counts, so that it
  // cannot tell strangers from others.
  std::unordered_set<std::string> subscriptions;

  // Numbers a new check of `users`: from now on only its verdict counts
  // for them.
  std::uint64_t begin_check(const std::vector<std::string>& users);

  // Records check `n`'s verdict on `user`. False when a later check of
  // `user` has begun since: this verdict is stale, and ignored.
  bool decide(const std::string& user, std::uint64_t n, bool visible);

  // The latest verdict on `user` (false before any).
  bool visible(const std::string& user) const;

  // Whether a subscription made on check `n`'s verdict may be kept when
  // its answer comes: not once a later check has found `user` hidden.
  bool may_keep(const std::string& user, std::uint64_t n) const;

  // Subscriptions asked for and not answered yet: a check that finds
  // `user` shown subscribes only when none is.
  void asking(const std::string& user) { ++asking_[user]; }
  void answered(const std::string& user);
  bool asked(const std::string& user) const { return asking_.count(user) != 0; }

  // What the client was last told of `user`: told() is false when it is
  // (online, last_seen) again, and need not be said twice; forget() after
  // telling it something this does not see.
  bool told(const std::string& user, bool online, std::int64_t last_seen);
  void forget_told(const std::string& user) { told_.erase(user); }

  // Whether `at` is the actor kept for `user`.
  bool watching_at(const caf::actor_addr& at, const std::string& user) const;
  // Keeps `at` as the actor that has `user`'s subscription (the session
  // monitors it). False when it was kept already.
  bool watch(const caf::actor_addr& at, const std::string& user);
  bool watching(const std::string& user) const;
  // Forgets `user`'s actor and returns it (a null address if none).
  caf::actor_addr unwatch(const std::string& user);
  // The user watched at `at`, which went away, forgotten; nullopt if none.
  std::optional<std::string> gone(const caf::actor_addr& at);

 private:
  struct verdict {
    std::uint64_t begun = 0;    // the latest check begun
    std::uint64_t decided = 0;  // the latest check ended
    bool visible = false;       // its verdict
  };
  std::unordered_map<std::string, verdict> checks_;
  std::unordered_map<caf::actor_addr, std::string> watched_;
  std::unordered_map<std::string, caf::actor_addr> by_user_;
  std::unordered_map<std::string, int> asking_;
  std::unordered_map<std::string, std::pair<bool, std::int64_t>> told_;
  std::uint64_t next_ = 0;
};

}  // namespace switchboard::actors
