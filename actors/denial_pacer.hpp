#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <queue>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace switchboard::actors {

// Paces the `forbidden` answers of a user past its `denied` budget
// (request_budgets.hpp). The protocol's order of errors puts forbidden
// before rate_limited, so a user probing conversations it is not a member
// of (or that do not exist) cannot be refused for its rate; every probe
// costs the node a conversation's activation. Instead its answers come
// later: one per `interval` (the budget's rate), each after the one
// before. A connection's answers in flight are capped, so a client that
// waits for them sends no more than that. Thread-safe.
class denial_pacer {
 public:
  using clock = std::chrono::steady_clock;

  // The users whose answers are being paced are bounded: a user's pace is
  // forgotten once it is over (an interval after its last held answer),
  // and past this many paces still running, a new user's starts from now
  // and is not kept.
  static constexpr std::size_t max_users = 65536;
  // No answer is held longer: a client that does not wait for its answers
  // (one that reconnects, or a REST caller that hangs up) would otherwise
  // push the pace ever further ahead, each held answer kept meanwhile.
  // What it can have held is then bounded by its connections' caps of
  // requests in flight and this time.
  static constexpr std::chrono::milliseconds max_hold{5000};

  // How long to hold a denial of `user` that its budget refused, the
  // bucket saying `wait` (until its next token): at least `wait`, and
  // `interval` after the user's previous held one; at most max_hold.
  std::chrono::milliseconds hold(const std::string& user,
                                 std::chrono::milliseconds wait,
                                 std::chrono::milliseconds interval,
                                 clock::time_point now = clock::now());

  std::size_t users() const;

 private:
  struct pace {
    clock::time_point release;  // of the user's last held answer
    clock::time_point over;     // release + interval: forgotten then
  };
  using due = std::pair<clock::time_point, std::string>;
  // Forgets the paces that are over by `now`: O(log n) for each pace
  // forgotten or looked at again, not a scan of them all.
  void forget_over(clock::time_point now);

  mutable std::mutex m_;
  std::unordered_map<std::string, pace> next_;  // under m_
  // Every user of next_ once, soonest first by the `over` it had when
  // queued (a pace renewed since is queued again when it comes up).
  std::priority_queue<due, std::vector<due>, std::greater<due>>
      order_;  // under m_
};

}  // namespace switchboard::actors
