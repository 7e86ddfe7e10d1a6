#pragma once

#include <caf/message_id.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <unordered_map>
#include <vector>

namespace switchboard::actors {

// The deadlines of one actor's requests in flight, kept by the actor
// itself instead of CAF's clock thread (actors/timed_request.hpp asks
// with it). CAF 0.17 gives every request with a timeout an event on its
// clock thread, a lock and a wake-up of that thread, and does not cancel
// it when the answer comes: the timeout fires later all the same, as one
// more message to the asking actor, which drops it. Measured on a cluster
// of three at 5,000 msgs/s: two such timeouts set per message, none
// cancelled. Here a request costs two map operations, and the actor one
// tick (a delayed message, which CAF 0.17 cannot cancel either) for its
// earliest deadline: a tick that finds requests still in flight is armed
// again for the earliest of them, and one that finds none arms nothing,
// so the next request arms one. An actor with many requests per timeout
// (a busy session, the replicator) pays about one tick per timeout; one
// that asks once in a while pays one tick per request, as with CAF's
// clock. A tick holds a reference to its actor until it fires (at most
// the longest timeout after the actor quit).
//
// Not thread-safe: one per actor, used only inside it.
class request_timer {
 public:
  using clock = std::chrono::steady_clock;

  // Tracks the request answered by response id `id` until `deadline`.
  // Returns when a tick must be armed: `deadline`, when no tick is due
  // by then; else nullopt.
  std::optional<clock::time_point> track(caf::message_id id,
                                         clock::time_point deadline);
  // The answer or error for `id` arrived: it times out no more.
  void answered(caf::message_id id);
  // The tick armed for `due` arrived at `now`: the ids past their deadline,
  // forgotten, in deadline order; `next` is set to when the next tick must
  // be due (nullopt: none). A tick that is no longer the one armed (it was
  // armed earlier again) returns nothing and arms nothing.
  std::vector<caf::message_id> expire(clock::time_point due,
                                      clock::time_point now,
                                      std::optional<clock::time_point>& next);
  // Requests tracked, not yet answered or expired.
  std::size_t pending() const noexcept { return pending_.size(); }

 private:
  using by_deadline = std::multimap<clock::time_point, std::uint64_t>;
  by_deadline by_deadline_;
  std::unordered_map<std::uint64_t, by_deadline::iterator> pending_;
  std::optional<clock::time_point> armed_;  // the due time of the tick sent
};

}  // namespace switchboard::actors
