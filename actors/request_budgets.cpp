#include "actors/request_budgets.hpp"

namespace switchboard::actors {

request_budgets::request_budgets(
    const std::array<rate_budget, request_kind_count>& budgets) {
  for (std::size_t i = 0; i < request_kind_count; ++i)
    buckets_[i] =
        std::make_unique<rate_limiter>(budgets[i].rate, budgets[i].burst);
}

std::int64_t request_budgets::try_take(request_kind kind,
                                       const std::string& user, double cost,
                                       clock::time_point now) {
  return buckets_[static_cast<std::size_t>(kind)]->try_take(user, now, cost);
}

}  // namespace switchboard::actors
