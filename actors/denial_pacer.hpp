#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

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

  // The users whose answers are being paced are bounded: past this many,
  // the ones whose pace is over go (and, when none is, the pace of a new
  // one starts from now).
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
  mutable std::mutex m_;
  std::unordered_map<std::string, clock::time_point> next_;  // under m_
};

}  // namespace switchboard::actors
