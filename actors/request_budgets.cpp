#include "actors/request_budgets.hpp"

#include <algorithm>

namespace switchboard::actors {

request_budgets::request_budgets(
    rate_budget sends,
    const std::array<rate_budget, request_kind_count>& kinds) {
  for (std::size_t i = 0; i < request_kind_count; ++i) sizes_[i] = kinds[i];
  sizes_[send_budget] = sends;
  for (std::size_t i = 0; i < budget_count; ++i)
    buckets_[i] =
        std::make_unique<rate_limiter>(sizes_[i].rate, sizes_[i].burst);
}

std::int64_t request_budgets::try_take(std::size_t budget,
                                       const std::string& user, double cost,
                                       clock::time_point now) {
  return buckets_.at(budget)->try_take(user, now, cost);
}

rate_limiter::loan request_budgets::lend(std::size_t budget,
                                         const std::string& user, double debt,
                                         double want, clock::time_point now) {
  return buckets_.at(budget)->lend(user, debt, want, now);
}

double request_budgets::slice(std::size_t budget) const {
  auto& b = sizes_.at(budget);
  return std::max(1.0, std::min(b.rate / 4, b.burst / 4));
}

}  // namespace switchboard::actors
