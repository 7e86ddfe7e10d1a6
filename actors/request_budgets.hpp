#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "actors/rate_limiter.hpp"

namespace switchboard::actors {

// The kinds of client request that have a budget of their own per user
// (sends have theirs: limits::send_rate). REST calls take from the same
// buckets as the frames they become.
enum class request_kind : std::size_t {
  sync,
  conversations,
  presence,  // costs one per 50 user ids asked for
  typing,
  create,
  members,  // costs one per user added or removed
  cursor,   // ack and read
  ping,
  devices,  // REST: register and delete
  // `forbidden` answers (a conversation the user is not in, or none):
  // past the budget they are held (denial_pacer.hpp), not refused, as the
  // protocol answers forbidden before rate_limited.
  denied,
  count_,
};

constexpr std::size_t request_kind_count =
    static_cast<std::size_t>(request_kind::count_);

// The option and metric name of each kind (rate-sync, rate_sync).
constexpr std::array<std::string_view, request_kind_count> request_kind_names =
    {"sync",    "conversations", "presence", "typing",  "create",
     "members", "cursor",        "ping",     "devices", "denied"};

struct rate_budget {
  double rate = 0;   // tokens per second
  double burst = 0;  // bucket size
};

// Defaults: far above what a person's clients do, far below what a script
// can ask of a node.
constexpr std::array<rate_budget, request_kind_count> default_budgets = {{
    {50, 200},    // sync
    {5, 20},      // conversations
    {10, 50},     // presence
    {10, 20},     // typing
    {5, 50},      // create
    {100, 1000},  // members
    {200, 1000},  // cursor
    {5, 30},      // ping
    {2, 20},      // devices
    {5, 50},      // denied
}};

// A kind added without its default would get a zero budget, which refuses
// every request of it.
constexpr bool every_kind_has_a_budget() {
  for (auto& b : default_budgets)
    if (!(b.rate > 0) || !(b.burst > 0)) return false;
  return true;
}
static_assert(every_kind_has_a_budget(),
              "each request_kind needs its default in default_budgets");

// A budget: a request_kind's index, or send_budget.
constexpr std::size_t send_budget = request_kind_count;
constexpr std::size_t budget_count = request_kind_count + 1;

// A token bucket per user and budget, this node's own. In a cluster the
// buckets of a user are those of the node that owns the user's shard;
// other nodes borrow from them in slices (budget_slices.hpp). Thread-safe.
class request_budgets {
 public:
  using clock = rate_limiter::clock;

  request_budgets(rate_budget sends,
                  const std::array<rate_budget, request_kind_count>& kinds);

  // Takes `cost` tokens from `user`'s bucket of `budget`. Returns 0 when
  // they were there, otherwise the milliseconds until they will be.
  std::int64_t try_take(std::size_t budget, const std::string& user,
                        double cost, clock::time_point now);
  // Lends tokens of `user`'s bucket to another node (rate_limiter::lend).
  rate_limiter::loan lend(std::size_t budget, const std::string& user,
                          double debt, double want, clock::time_point now);
  // What another node borrows of `budget` at a time: a quarter of a
  // second's tokens, at most a quarter of the burst, at least one.
  double slice(std::size_t budget) const;
  double burst(std::size_t budget) const { return sizes_.at(budget).burst; }

 private:
  std::array<rate_budget, budget_count> sizes_{};
  std::array<std::unique_ptr<rate_limiter>, budget_count> buckets_;
};

}  // namespace switchboard::actors
