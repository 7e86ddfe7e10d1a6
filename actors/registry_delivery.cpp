#include <caf/all.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "actors/directory.hpp"
#include "actors/node_context.hpp"
#include "actors/registry.hpp"
#include "actors/stray_delivery.hpp"
#include "metrics/log_sink.hpp"

// The registry's fan-out messages (registry.hpp): events for the users of
// this node's shards, and for this node's connections of users whose shard
// changes hands.
namespace switchboard::actors {

namespace {

// Whether the texts of a delivery and their excepts pair up (a peer's
// message); logged when not.
bool well_formed(node_context* ctx, const std::vector<std::string>& texts,
                 const std::vector<std::string>& excepts) {
  if (texts.size() == excepts.size()) return true;
  metrics::emit(ctx->log, "error", "malformed_delivery",
                {{"texts", std::to_string(texts.size())},
                 {"excepts", std::to_string(excepts.size())}});
  return false;
}

// A delivery to `users` of this node's shards: `to_actor` for each one
// online here whose shard is settled; answers the others whose shard
// changes hands here (or is not this node's: the sender's route was
// stale), for every node (stray_delivery.hpp).
template <class ToActor>
std::vector<std::string> to_settled_actors(
    node_context* ctx, const std::vector<std::string>& users,
    ToActor&& to_actor) {
  std::vector<std::string> strays;
  auto now = std::chrono::steady_clock::now();
  auto routes = ctx->dir->routes();
  for (auto& u : users)
    if (path_of(routes.get(), u, now) != delivery_path::actor)
      strays.push_back(u);
    else if (auto ua = ctx->dir->find_user(u))
      to_actor(*ua);
  return strays;
}

}  // namespace

caf::message_handler delivery_handlers(node_context* ctx) {
  return {
      [ctx](detach_atom, const std::string& user, const std::string& session) {
        if (auto ua = ctx->dir->find_user(user))
          caf::anon_send(*ua, detach_atom::value, session);
      },
      // A delivery to users of this node's shards; those whose shard
      // changes hands (or, as a stale route of the sender said, is not
      // this node's) are delivered to on every node (stray_delivery.hpp).
      [ctx](deliver_atom, const std::vector<std::string>& users,
            const std::string& text, const std::string& except, bool chat) {
        auto strays = to_settled_actors(ctx, users, [&](const user_actor& ua) {
          caf::anon_send(ua, deliver_atom::value, text, except, chat);
        });
        if (!strays.empty())
          deliver_everywhere(*ctx, strays, text, except, chat);
      },
      [ctx](stray_atom, const std::vector<std::string>& users,
            const std::string& text, const std::string& except, bool chat) {
        deliver_strays_here(*ctx, users, text, except, chat);
      },
      [ctx](stray_atom, const std::vector<std::string>& users,
            const std::vector<std::string>& texts,
            const std::vector<std::string>& excepts) {
        if (well_formed(ctx, texts, excepts))
          deliver_strays_here(*ctx, users, texts, excepts);
      },
      // The conversations `changed` share changed: for the connections of
      // `users` (of this node's shards) to check their subscriptions.
      [ctx](revalidate_atom, const std::vector<std::string>& users,
            const std::vector<std::string>& changed) {
        auto m = caf::make_message(revalidate_atom::value, changed);
        for (auto& u : users)
          if (auto ua = ctx->dir->find_user(u))
            caf::anon_send(caf::actor_cast<caf::actor>(*ua), m);
      },
      // The chat messages of one write (texts[i], skipping the connection
      // excepts[i]) for several users of this node's shards.
      [ctx](deliver_atom, const std::vector<std::string>& users,
            const std::vector<std::string>& texts,
            const std::vector<std::string>& excepts) {
        if (!well_formed(ctx, texts, excepts)) return;
        auto strays = to_settled_actors(ctx, users, [&](const user_actor& ua) {
          caf::anon_send(ua, deliver_atom::value, texts, excepts);
        });
        if (!strays.empty()) deliver_everywhere(*ctx, strays, texts, excepts);
      },
  };
}

}  // namespace switchboard::actors
