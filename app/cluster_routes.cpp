// The routes of a cluster node (app/cluster_node): from the shard map, the
// lease and the peers to the directory's route of every shard.

#include "app/cluster_node_impl.hpp"

namespace switchboard::app {

bool cluster_node::impl::is_inherited(std::uint32_t shard,
                                      const cluster::shard_record& rec,
                                      const std::string& self_id) const {
  auto it = inherited.find(shard);
  return it != inherited.end() && rec.owner == self_id &&
         rec.epoch <= it->second;
}

// The directory's routes from the shard map, the lease and the peers.
void cluster_node::impl::publish_routes() {
  // One publisher at a time, from reading the map to setting the routes:
  // the loop and a move both publish, and an older map published after a
  // newer one would make a moving shard local again.
  std::lock_guard<std::mutex> publishing(publish_mtx);
  auto map = coord->shard_map();
  auto self_id = coord->self().id;
  bool valid = coord->lease_valid();
  std::vector<route> routes(map.size());
  std::int64_t owned = 0;
  auto* positions = node.positions();
  auto min_insync = static_cast<std::size_t>(coord->meta().min_insync);
  std::lock_guard<std::mutex> lock(mtx);
  for (std::size_t n = 0; n < map.size(); ++n) {
    auto shard = std::to_string(n);
    auto& rec = map[n];
    // The position table hands out positions for the shards this node
    // leads as the map says, lease or not: a write it takes while the
    // lease is invalid fails in the replicator, never goes unreplicated.
    // An epoch an earlier process of this node led at is not led again
    // (resume_inherited).
    bool inherited_here =
        rec && is_inherited(static_cast<std::uint32_t>(n), *rec, self_id);
    if (positions)
      positions->lead(
          static_cast<std::uint32_t>(n),
          rec && rec->owner == self_id && !inherited_here ? rec->epoch : 0);
    if (rec) {
      routes[n].epoch = rec->epoch;
      if (rec->state == cluster::shard_record::state_kind::moving)
        routes[n].moving_to = rec->target;
    }
    if (!rec) {
      routes[n] = unavailable("", "shard " + shard + " has no owner yet");
    } else if (rec->state == cluster::shard_record::state_kind::moving) {
      auto r =
          unavailable(rec->owner, "shard " + shard + " is moving to node " +
                                      rec->target + "; retry");
      r.epoch = rec->epoch;
      r.moving_to = rec->target;
      routes[n] = std::move(r);
    } else if (inherited_here) {
      routes[n] = unavailable(self_id, "shard " + shard +
                                           " is resuming after a restart of "
                                           "its node; retry");
      routes[n].epoch = rec->epoch;
    } else if (rec->owner == self_id) {
      // A write needs min-insync copies in sync, or as many as the
      // shard has when it has fewer.
      auto needed = std::min(min_insync, rec->replicas.size());
      if (valid && rec->isr.size() < needed) {
        routes[n] = unavailable(self_id, "shard " + shard + " has " +
                                             std::to_string(rec->isr.size()) +
                                             " in-sync copies of the " +
                                             std::to_string(needed) +
                                             " a write needs; retry");
        routes[n].epoch = rec->epoch;
      } else if (valid) {
        routes[n].what = route::kind::local;
        routes[n].owner = self_id;
        routes[n].min_insync = std::max<std::size_t>(needed, 1);
        for (auto& f : rec->isr) {
          if (f == self_id) continue;
          routes[n].followers.push_back(f);
          auto p = peers.find(f);
          routes[n].follower_registries.push_back(
              p == peers.end() ? caf::actor{} : p->second.registry);
        }
        ++owned;
      } else {
        routes[n] = unavailable(
            self_id, "node " + self_id + " lost contact with etcd; retry");
      }
    } else if (auto p = peers.find(rec->owner); p != peers.end()) {
      routes[n].what = route::kind::remote;
      routes[n].owner = rec->owner;
      routes[n].registry = p->second.registry;
    } else {
      routes[n] = unavailable(rec->owner, "node " + rec->owner +
                                              ", the owner of shard " + shard +
                                              ", is unreachable");
    }
    // Every route keeps the map's epoch and leader, unavailable or not:
    // a follower fences appends with them (registry_replication.cpp).
    if (rec) {
      routes[n].epoch = rec->epoch;
      routes[n].owner = rec->owner;
    }
  }
  std::vector<caf::actor> peer_registries;
  peer_registries.reserve(peers.size());
  for (auto& [_, p] : peers) peer_registries.push_back(p.registry);
  node.dir().set_routes(std::move(routes), std::move(peer_registries));
  m.shards_owned.set(owned);
  m.peers_connected.set(static_cast<std::int64_t>(peers.size()));
  if (ready.exchange(valid) != valid)
    metrics::emit(log, valid ? "info" : "warn",
                  valid ? "lease_valid" : "lease_lost");
}

}  // namespace switchboard::app
