#include "actors/budget_check.hpp"

#include "metrics/metrics.hpp"

namespace switchboard::actors {

proto_error over_budget(node_context& ctx, request_kind kind,
                        const std::string& user, double cost) {
  auto wait =
      ctx.budgets->try_take(kind, user, cost, request_budgets::clock::now());
  if (wait == 0) return {};
  auto name = request_kind_names[static_cast<std::size_t>(kind)];
  ctx.metrics->limit_hit("rate_" + std::string(name));
  return proto_error{"rate_limited",
                     "too many " + std::string(name) + " requests", wait};
}

}  // namespace switchboard::actors
