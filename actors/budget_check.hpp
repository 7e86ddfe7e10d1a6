#pragma once

#include <string>

#include "actors/messages.hpp"
#include "actors/node_context.hpp"
#include "actors/request_budgets.hpp"

namespace switchboard::actors {

// Takes `cost` from `user`'s budget of `kind`: an empty error when there
// was enough, otherwise `rate_limited` with retry_after_ms (counted in the
// metrics as limit rate_<kind>). Thread-safe.
proto_error over_budget(node_context& ctx, request_kind kind,
                        const std::string& user, double cost = 1.0);

}  // namespace switchboard::actors
