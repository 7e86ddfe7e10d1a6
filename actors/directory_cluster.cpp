#include <caf/all.hpp>

#include "actors/conversation_actor.hpp"
#include "actors/directory.hpp"
#include "actors/user_actor.hpp"
#include "push/service.hpp"
#include "storage/shard.hpp"

// The directory's part in a cluster (docs/ARCHITECTURE.md "cluster/"): where
// each shard's actors run, and how settled each shard is; freezing a shard
// and stopping its actors are directory_freeze.cpp.
namespace switchboard::actors {

void directory::set_routes(std::vector<shard_route> routes,
                           std::vector<caf::actor> peers) {
  using kind = shard_route::kind;
  std::shared_ptr<const std::vector<shard_route>> fresh, old;
  {
    std::lock_guard<std::mutex> publishing(routes_mtx_);
    old = std::atomic_load(&routes_);
    // A shard that becomes this node's is unsettled for a while: the
    // connections of its users register with their actors here only
    // once their nodes see the new routes.
    if (unsettled_.size() != routes.size())
      unsettled_.assign(routes.size(), {});
    auto now = std::chrono::steady_clock::now();
    for (std::size_t n = 0; n < routes.size(); ++n) {
      auto was = old && n < old->size() ? (*old)[n].what : kind::unavailable;
      auto is = routes[n].what;
      auto& u = unsettled_[n];
      if (is == kind::local && was != kind::local)
        u.settling = std::max(u.settling, now + settle_time);
      if (is == kind::unavailable && was != kind::unavailable)
        u.leaderless = now + leaderless_time;
      else if (is != kind::unavailable)
        u.leaderless = {};  // a leader again: its own settling counts
      routes[n].unsettled_until = u.until();
    }
    fresh = std::make_shared<const std::vector<shard_route>>(std::move(routes));
    std::atomic_store(&routes_, fresh);
    std::atomic_store(
        &peers_,
        std::shared_ptr<const std::vector<caf::actor>>(
            std::make_shared<const std::vector<caf::actor>>(std::move(peers))));
  }
  // A shard this node begins to lead (or leads at a new epoch) brings its
  // push outbox, moved or replicated here: the push service reads it.
  std::vector<std::uint16_t> gained;
  for (std::size_t n = 0; n < fresh->size(); ++n)
    if ((*fresh)[n].what == kind::local &&
        (!old || n >= old->size() || (*old)[n].what != kind::local ||
         (*old)[n].epoch != (*fresh)[n].epoch))
      gained.push_back(static_cast<std::uint16_t>(n));
  if (!gained.empty() && ctx_.push) ctx_.push->rescan(gained);
  // The channels here watch their members where the new routes say (the
  // routes are set every few hundred milliseconds; only a change counts).
  bool changed = !old || old->size() != fresh->size();
  for (std::size_t n = 0; !changed && n < fresh->size(); ++n) {
    auto& a = (*old)[n];
    auto& b = (*fresh)[n];
    changed = a.what != b.what || a.owner != b.owner || a.epoch != b.epoch ||
              a.registry != b.registry;
  }
  if (!changed) return;
  // Shards this node no longer leads: their users are watched at their
  // next owner (a shard only quiesced here, and still led here, keeps its
  // watches for the users' next actors).
  std::vector<bool> lost(fresh->size(), false);
  bool any_lost = false;
  for (std::size_t n = 0; old && n < fresh->size() && n < old->size(); ++n)
    if ((*old)[n].what == kind::local && (*fresh)[n].what != kind::local)
      lost[n] = any_lost = true;
  std::vector<conversation_actor> channels;
  {
    std::lock_guard<std::mutex> lock(mtx_);
    auto shards = static_cast<std::uint32_t>(fresh->size());
    for (auto it = watches_.begin(); any_lost && it != watches_.end();)
      if (lost[storage::shard_of(it->first, shards)]) {
        it = watches_.erase(it);
      } else {
        ++it;
      }
    for (auto& [_, a] : channels_) channels.push_back(a);
  }
  for (auto& a : channels) caf::anon_send(a, channel_atom::value);
}

std::uint32_t directory::shard_count() const {
  auto routes = std::atomic_load(&routes_);
  return routes ? static_cast<std::uint32_t>(routes->size()) : 0;
}

bool directory::clustered() const {
  auto routes = std::atomic_load(&routes_);
  return routes && !routes->empty();
}

const directory::shard_route& directory::route_in(
    const std::vector<shard_route>* routes, const std::string& id) {
  static const shard_route standalone{};
  if (!routes || routes->empty()) return standalone;
  auto n = static_cast<std::uint32_t>(routes->size());
  return (*routes)[storage::shard_of(id, n)];
}

directory::shard_route directory::route_of(const std::string& id) const {
  auto routes = std::atomic_load(&routes_);
  return route_in(routes.get(), id);
}

std::shared_ptr<const std::vector<directory::shard_route>> directory::routes()
    const {
  return std::atomic_load(&routes_);
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
                             caf::message m, bool clustered, Local local) {
  directory::destination d;
  d.clustered = clustered;
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
      d.err = proto_error{proto_code::unavailable, r.reason, r.retry_after_ms};
      break;
  }
  return d;
}

}  // namespace

directory::destination directory::to_conversation(const std::string& conv_id,
                                                  caf::message m) {
  return route(
      route_of(conv_id), conv_atom::value, conv_id, std::move(m), clustered(),
      [&] { return caf::actor_cast<caf::actor>(conversation(conv_id)); });
}

directory::destination directory::to_user(const std::string& user_id,
                                          caf::message m) {
  return route(route_of(user_id), user_atom::value, user_id, std::move(m),
               clustered(),
               [&] { return caf::actor_cast<caf::actor>(user(user_id)); });
}

std::shared_ptr<const std::vector<caf::actor>> directory::peers() const {
  return std::atomic_load(&peers_);
}

void directory::settle_by(std::uint32_t shard,
                          std::chrono::steady_clock::time_point until) {
  std::lock_guard<std::mutex> publishing(routes_mtx_);
  if (shard >= unsettled_.size()) return;
  unsettled_[shard].settling = until;
  auto now = std::atomic_load(&routes_);
  if (!now || now->size() != unsettled_.size()) return;
  // Every route published under routes_mtx_ has its shard's time already:
  // only this one changes.
  auto next = std::make_shared<std::vector<shard_route>>(*now);
  (*next)[shard].unsettled_until = unsettled_[shard].until();
  std::atomic_store(&routes_, std::shared_ptr<const std::vector<shard_route>>(
                                  std::move(next)));
}

}  // namespace switchboard::actors
