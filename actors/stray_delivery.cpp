#include "actors/stray_delivery.hpp"

#include <caf/all.hpp>

#include "metrics/metrics.hpp"

namespace switchboard::actors {

delivery_path path_of(const directory::shard_route& r,
                      std::chrono::steady_clock::time_point now) {
  // The leader elsewhere decides. Here, or with no leader to reach (the
  // shard moves, its node died), the user's connections, wherever they
  // are, may not be registered with an actor while the shard is unsettled.
  if (r.what == directory::shard_route::kind::remote)
    return delivery_path::owner;
  return now < r.unsettled_until ? delivery_path::everywhere
                                 : delivery_path::actor;
}

delivery_path path_of(const std::vector<directory::shard_route>* routes,
                      const std::string& user_id,
                      std::chrono::steady_clock::time_point now) {
  return path_of(directory::route_in(routes, user_id), now);
}

void deliver_everywhere(node_context& ctx,
                        const std::vector<std::string>& users,
                        const std::string& text, const std::string& except,
                        bool chat_message) {
  ctx.metrics->stray_deliveries.inc(users.size());
  if (auto peers = ctx.dir->peers())
    for (auto& reg : *peers)
      if (reg)
        caf::anon_send(reg, stray_atom::value, users, text, except,
                       chat_message);
  deliver_strays_here(ctx, users, text, except, chat_message);
}

void deliver_everywhere(node_context& ctx,
                        const std::vector<std::string>& users,
                        const std::vector<std::string>& texts,
                        const std::vector<std::string>& excepts) {
  ctx.metrics->stray_deliveries.inc(users.size());
  if (auto peers = ctx.dir->peers())
    for (auto& reg : *peers)
      if (reg) caf::anon_send(reg, stray_atom::value, users, texts, excepts);
  deliver_strays_here(ctx, users, texts, excepts);
}

void deliver_strays_here(node_context& ctx,
                         const std::vector<std::string>& users,
                         const std::string& text, const std::string& except,
                         bool chat_message) {
  std::uint64_t n = 0;
  for (auto& u : users) n += ctx.dir->deliver_local(u, text, except);
  if (chat_message) ctx.metrics->messages_delivered.inc(n);
}

void deliver_strays_here(node_context& ctx,
                         const std::vector<std::string>& users,
                         const std::vector<std::string>& texts,
                         const std::vector<std::string>& excepts) {
  std::uint64_t n = 0;
  for (auto& u : users) n += ctx.dir->deliver_local(u, texts, excepts);
  ctx.metrics->messages_delivered.inc(n);
}

}  // namespace switchboard::actors
