#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace switchboard::actors {

// The budgets of users whose shard another node owns (docs/ARCHITECTURE.md
// "cluster/", and docs/cluster.md "Limits and choices", on rate limits).
//
// A user's token buckets live at the owner of the user's shard, so a user
// has one budget in the whole cluster however many nodes its requests
// reach. Another node does not ask the owner for every request: it borrows
// a slice (request_budgets::slice) and spends it here, and asks for the
// next one when it runs low. A node with nothing left lets requests through
// on credit, up to the budget's burst (and always one); its next borrow
// pays that debt first, even deep into the red, so over time the cluster
// grants the bucket's rate, and only a first burst can exceed the bucket,
// by at most a burst per node, which the user then waits out. When
// the owner says the bucket is empty, this node refuses for as long as the
// owner said. When the owner cannot be reached (its node is dead or the
// shard moves), this node uses a bucket of its own for the user for a
// while: losing a node never stops anybody's requests elsewhere, it only
// makes the limit per node meanwhile. Lent tokens unused for slice_ttl are
// forgotten (not given back: a user loses at most a slice per node).
//
// Only bookkeeping, thread-safe: the caller sends the borrows it is told
// to (budget_check.cpp) and reports their answers.
class budget_slices {
 public:
  using clock = std::chrono::steady_clock;
  static constexpr std::chrono::milliseconds slice_ttl{2000};
  static constexpr std::chrono::milliseconds local_for{5000};
  // Retry advice for a request that finds the credit spent (a loan is in
  // flight: about a round trip).
  static constexpr std::int64_t in_flight_wait_ms = 20;

  // A loan to ask the user's owner for; its answer goes to lent() or, when
  // none came, unreachable().
  struct borrow {
    std::size_t budget = 0;
    std::string user{};
    double debt = 0;  // let through on credit: paid first
    double want = 0;  // a slice
  };

  struct outcome {
    enum class kind : std::uint8_t {
      taken,    // the request may go on
      refused,  // rate_limited, retry after wait_ms
      local,    // the owner is out of reach: use this node's own bucket
    };
    kind what = kind::taken;
    std::int64_t wait_ms = 0;
    std::optional<borrow> ask{};  // send this now
  };

  // Takes `cost` from `user`'s slice of `budget` (`slice`: how much one
  // loan asks for; `credit`: how far this node may run ahead of the
  // owner's answer, the budget's burst, so that a pipelined burst is not
  // refused while a loan is in flight).
  outcome take(std::size_t budget, const std::string& user, double cost,
               double slice, double credit, clock::time_point now);
  // The owner lent `granted` tokens for `b`; with none, it is empty for
  // `wait_ms`.
  void lent(const borrow& b, double granted, std::int64_t wait_ms,
            clock::time_point now);
  // No answer for `b`: this node's own bucket for `user` for local_for.
  void unreachable(const borrow& b, clock::time_point now);

  // Slices kept (for tests: idle ones are forgotten).
  std::size_t size();

 private:
  struct slice_state {
    double tokens = 0;  // below zero: let through on credit, not paid yet
    bool in_flight = false;
    clock::time_point expires{};
    clock::time_point refused_until{};
    clock::time_point local_until{};
    clock::time_point touched{};
  };

  static std::string key(std::size_t budget, const std::string& user);
  void sweep(clock::time_point now);  // requires mtx_

  std::mutex mtx_;
  std::unordered_map<std::string, slice_state> slices_;
  std::size_t sweep_at_ = 4096;
};

}  // namespace switchboard::actors
