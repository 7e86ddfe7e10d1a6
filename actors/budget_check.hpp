#pragma once

#include <caf/fwd.hpp>
#include <cstdint>
#include <string>

#include "actors/budget_slices.hpp"
#include "actors/messages.hpp"
#include "actors/node_context.hpp"
#include "actors/request_budgets.hpp"

namespace switchboard::actors {

// Takes `cost` from `user`'s `budget` (request_budgets.hpp) wherever the
// user's buckets are: here on a standalone node or when this node owns the
// user's shard, otherwise from a slice lent by the owner
// (budget_slices.hpp). Returns 0, or the milliseconds to wait. Thread-safe.
std::int64_t take_budget(node_context& ctx, std::size_t budget,
                         const std::string& user, double cost = 1.0);

// take_budget for `kind`: an ok proto_error when there was enough, otherwise
// `rate_limited` with retry_after_ms (counted in the metrics as limit
// rate_<kind>).
proto_error over_budget(node_context& ctx, request_kind kind,
                        const std::string& user, double cost = 1.0);

// Asks the owner of `b.user`'s shard for the loan, from a short-lived
// actor of `sys`, and reports its answer (or none within a quarter of the
// remote timeout: a loan is one small round trip) to ctx.slices.
void borrow_from_owner(caf::actor_system& sys, node_context& ctx,
                       budget_slices::borrow b);

}  // namespace switchboard::actors
