#include "actors/budget_check.hpp"

#include <atomic>
#include <caf/all.hpp>

#include "actors/directory.hpp"
#include "metrics/metrics.hpp"

namespace switchboard::actors {

namespace {

// Every kind's budget counts under metrics' label "rate_<kind>": a kind
// added to request_kind_names without its label does not compile (its hits
// would count nowhere).
constexpr bool every_kind_has_its_limit_label() {
  for (auto kind : request_kind_names) {
    bool found = false;
    for (auto label : metrics::limit_names)
      found =
          found || (label.size() == 5 + kind.size() &&
                    label.substr(0, 5) == "rate_" && label.substr(5) == kind);
    if (!found) return false;
  }
  return true;
}
static_assert(
    every_kind_has_its_limit_label(),
    "each request kind needs \"rate_<kind>\" in metrics::limit_names");

}  // namespace

std::int64_t take_budget(node_context& ctx, std::size_t budget,
                         const std::string& user, double cost) {
  auto now = budget_slices::clock::now();
  if (!ctx.slices || !ctx.dir->clustered() ||
      ctx.dir->route_of(user).what != directory::shard_route::kind::remote)
    return ctx.budgets->try_take(budget, user, cost, now);
  auto o = ctx.slices->take(budget, user, cost, ctx.budgets->slice(budget),
                            ctx.budgets->burst(budget), now);
  if (o.ask && ctx.borrow) ctx.borrow(std::move(*o.ask));
  switch (o.what) {
    case budget_slices::outcome::kind::taken:
      return 0;
    case budget_slices::outcome::kind::refused:
      return o.wait_ms;
    case budget_slices::outcome::kind::local:
      break;
  }
  return ctx.budgets->try_take(budget, user, cost, now);
}

proto_error over_budget(node_context& ctx, request_kind kind,
                        const std::string& user, double cost) {
  auto wait = take_budget(ctx, static_cast<std::size_t>(kind), user, cost);
  if (wait == 0) return {};
  auto name = request_kind_names[static_cast<std::size_t>(kind)];
  ctx.metrics->limit_hit("rate_" + std::string(name));
  return proto_error{proto_code::rate_limited,
                     "too many " + std::string(name) + " requests", wait};
}

void borrow_from_owner(caf::actor_system& sys, node_context& ctx,
                       budget_slices::borrow b) {
  auto route = ctx.dir->route_of(b.user);
  if (route.what != directory::shard_route::kind::remote || !route.registry) {
    ctx.slices->unreachable(b, budget_slices::clock::now());
    return;
  }
  sys.spawn([ctx = &ctx, registry = route.registry,
             b = std::move(b)](caf::event_based_actor* self) {
    auto start = budget_slices::clock::now();
    auto took = [start] {
      return std::chrono::duration<double>(budget_slices::clock::now() - start)
          .count();
    };
    self->request(registry, ctx->lim.remote_request_timeout / 4,
                  lend_atom::value, static_cast<std::uint32_t>(b.budget),
                  b.user, b.debt, b.want)
        .then(
            [self, ctx, b, took](double granted, std::int64_t wait_ms) {
              ctx->metrics->remote_request(metrics::remote_kind::budget, true,
                                           took());
              ctx->slices->lent(b, granted, wait_ms,
                                budget_slices::clock::now());
              self->quit();
            },
            [self, ctx, b, took](caf::error& e) {
              ctx->metrics->remote_request(metrics::remote_kind::budget, false,
                                           took());
              // This node's own bucket for the user meanwhile. Logged at
              // most once a second per node: a dead node's users all
              // fail at once.
              static std::atomic<std::int64_t> logged_at_ms{0};
              auto now = now_ms();
              auto last = logged_at_ms.load();
              if (now - last >= 1000 &&
                  logged_at_ms.compare_exchange_strong(last, now)) {
                auto why = caf::to_string(e);
                metrics::emit(ctx->log, "warn", "budget_not_lent",
                              {{"user", b.user}, {"error", why}});
              }
              ctx->slices->unreachable(b, budget_slices::clock::now());
              self->quit();
            });
  });
}

}  // namespace switchboard::actors
