#include <caf/all.hpp>

#include "actors/conversation_actor.hpp"
#include "actors/directory.hpp"
#include "actors/user_actor.hpp"
#include "storage/shard.hpp"

// The directory's part in a cluster (DESIGN §5): where each shard's actors
// run, and stopping a shard's actors before it moves.
namespace switchboard::actors {

void directory::set_routes(std::vector<shard_route> routes) {
  std::atomic_store(
      &routes_,
      std::shared_ptr<const std::vector<shard_route>>(
          std::make_shared<const std::vector<shard_route>>(std::move(routes))));
}

bool directory::clustered() const {
  auto routes = std::atomic_load(&routes_);
  return routes && !routes->empty();
}

directory::shard_route directory::route_of(const std::string& id) const {
  auto routes = std::atomic_load(&routes_);
  if (!routes || routes->empty()) return {};
  auto n = static_cast<std::uint32_t>(routes->size());
  return (*routes)[storage::shard_of(id, n)];
}

directory::shard_route directory::route_of_shard(std::uint32_t n) const {
  auto routes = std::atomic_load(&routes_);
  if (!routes || n >= routes->size()) return {};
  return (*routes)[n];
}

bool directory::is_local(const std::string& id) const {
  auto routes = std::atomic_load(&routes_);
  if (!routes || routes->empty()) return true;
  auto n = static_cast<std::uint32_t>(routes->size());
  return (*routes)[storage::shard_of(id, n)].what == shard_route::kind::local;
}

namespace {

template <class Local>
directory::destination route(const directory::shard_route& r,
                             caf::atom_value kind, const std::string& id,
                             caf::message m, Local local) {
  directory::destination d;
  switch (r.what) {
    case directory::shard_route::kind::local:
      d.actor = local();
      d.msg = std::move(m);
      break;
    case directory::shard_route::kind::remote:
      d.actor = r.registry;
      d.remote = true;
      d.msg = caf::make_message(route_atom::value, kind, id, std::move(m));
      break;
    case directory::shard_route::kind::unavailable:
      d.err = proto_error{"unavailable", r.reason, r.retry_after_ms};
      break;
  }
  return d;
}

}  // namespace

directory::destination directory::to_conversation(const std::string& conv_id,
                                                  caf::message m) {
  return route(route_of(conv_id), conv_atom::value, conv_id, std::move(m), [&] {
    return caf::actor_cast<caf::actor>(conversation(conv_id));
  });
}

directory::destination directory::to_user(const std::string& user_id,
                                          caf::message m) {
  return route(route_of(user_id), user_atom::value, user_id, std::move(m),
               [&] { return caf::actor_cast<caf::actor>(user(user_id)); });
}

bool directory::quiesce_shard(std::uint32_t shard, std::uint32_t shards,
                              std::chrono::milliseconds timeout) {
  std::vector<caf::actor> gone;
  {
    std::lock_guard<std::mutex> lock(mtx_);
    auto in_shard = [&](const std::string& id) {
      return storage::shard_of(id, shards) == shard;
    };
    for (auto it = conversations_.begin(); it != conversations_.end();)
      if (in_shard(it->first)) {
        gone.push_back(caf::actor_cast<caf::actor>(it->second));
        it = conversations_.erase(it);
      } else {
        ++it;
      }
    for (auto it = users_.begin(); it != users_.end();)
      if (in_shard(it->first)) {
        gone.push_back(caf::actor_cast<caf::actor>(it->second));
        it = users_.erase(it);
      } else {
        ++it;
      }
  }
  if (gone.empty()) return true;
  caf::scoped_actor self{sys_};
  for (auto& a : gone) {
    self->monitor(a);
    self->send_exit(a, caf::exit_reason::user_shutdown);
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::size_t left = gone.size();
  bool in_time = true;
  while (left > 0 && in_time) {
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (wait.count() <= 0) break;
    self->receive([&](caf::down_msg&) { --left; },
                  caf::after(wait) >> [&] { in_time = false; });
  }
  return left == 0;
}

}  // namespace switchboard::actors
