// The peers of a cluster node (app/cluster_node): connections, one per pair
// of nodes (the smaller id's, and its hello), and the peers that went away.

#include <string_view>

#include "app/cluster_node_impl.hpp"

namespace switchboard::app {

// Connects to every live peer not connected yet (or known by an older
// incarnation) and forgets the peers that are gone. Runs on `loop`.
void cluster_node::impl::connect_peers() {
  auto live = coord->live_nodes();
  auto self_id = coord->self().id;
  std::vector<cluster::node_record> wanted;
  drop_closed_peers();
  {
    std::lock_guard<std::mutex> lock(mtx);
    for (auto it = peers.begin(); it != peers.end();) {
      auto n = std::find_if(live.begin(), live.end(),
                            [&](const auto& r) { return r.id == it->first; });
      if (n == live.end() || n->incarnation != it->second.incarnation)
        it = peers.erase(it);  // dead, or restarted: a new connection
      else
        ++it;
    }
    for (auto it = first_seen.begin(); it != first_seen.end();) {
      bool is_live = std::any_of(live.begin(), live.end(), [&](const auto& r) {
        return r.id == it->first;
      });
      it = is_live ? std::next(it) : first_seen.erase(it);
    }
    auto now = clock::now();
    for (auto& r : live) {
      if (r.id == self_id || peers.count(r.id)) continue;
      // One connection per pair: the node of the smaller id connects and
      // says hello (hello()); two made at once from both ends make CAF
      // 0.17 close one, and with it the routes of both (its routing table
      // keeps one connection per node). A smaller peer that has not said
      // hello for hello_wait is connected to from here all the same.
      if (r.id < self_id) {
        auto [seen, fresh] = first_seen.try_emplace(r.id, now);
        if (fresh || now - seen->second < hello_wait) continue;
      }
      auto t = retry_at.find(r.id);
      if (t != retry_at.end() && t->second > now) continue;
      wanted.push_back(r);
    }
  }
  for (auto& r : wanted) {
    auto [host, port] = split_host_port(r.cluster_addr);
    auto p = node.connect_peer(host, port, connect_timeout);
    std::lock_guard<std::mutex> lock(mtx);
    if (!p.error.empty()) {
      // Backs off to reconnect_max, and logs the first failure of a
      // streak and then one in ten, not every attempt.
      auto& f = failures[r.id];
      ++f;
      auto wait = std::min(reconnect_max, reconnect_after * f);
      retry_at[r.id] = clock::now() + wait;
      if (f == 1 || f % 10 == 0) {
        // CAF refuses a peer whose BASP handshake offers none of this
        // node's app-identifiers (cluster_app_id): say so in words,
        // since CAF's error names neither the cluster nor the version.
        bool refused =
            p.error.find("incompatible_application_ids") != std::string::npos;
        auto why = refused
                       ? "refused: node " + r.id + " at " + r.cluster_addr +
                             " is of another cluster or another "
                             "cluster protocol version (it does not "
                             "offer " +
                             cluster_app_id(cluster_name) + ", cluster name " +
                             cluster_name + ", protocol version " +
                             std::to_string(cluster_protocol_version) +
                             "; CAF: " + p.error + ")"
                       : p.error;
        metrics::emit(log, refused ? "error" : "warn",
                      refused ? "peer_refused" : "peer_unreachable",
                      {{"node_id", r.id},
                       {"cluster_addr", r.cluster_addr},
                       {"attempts", std::to_string(f)},
                       {"error", why}});
      }
      continue;
    }
    retry_at.erase(r.id);
    failures.erase(r.id);
    add_peer_locked(r.id, r.incarnation, p.registry, "connected");
  }
  say_hello();
}

// With mtx held: `reg` is the registry of node `id` at `incarnation`.
void cluster_node::impl::add_peer_locked(const std::string& id,
                                         std::int64_t incarnation,
                                         const caf::actor& reg,
                                         const char* how) {
  peers[id] = peer{incarnation, reg};
  // A hello's registry is not yet a working connection: CAF 0.17 kills a
  // proxy of a node it has no route to at once (remote_link_unreachable),
  // and a smaller peer says hello every tick. Were each hello to restart
  // the wait, this node would never connect itself; the wait ends when
  // drop_closed_peers sees the connection, or when this node made it.
  if (std::string_view(how) != "hello") first_seen.erase(id);
  metrics::emit(log, "info", "peer_connected",
                {{"node_id", id},
                 {"incarnation", std::to_string(incarnation)},
                 {"how", how}});
  node.on_down(reg, [alive = alive, this, id, reg](std::string why) {
    std::lock_guard<std::mutex> living(alive->m);
    if (!alive->alive) return;
    {
      std::lock_guard<std::mutex> lock(mtx);
      auto it = peers.find(id);
      if (it != peers.end() && it->second.registry == reg) peers.erase(it);
      // Not at once again: a link that just failed is tried after a pause,
      // as a failed connection is.
      retry_at[id] = clock::now() + reconnect_after;
    }
    metrics::emit(log, "warn", "peer_down", {{"node_id", id}, {"reason", why}});
    poke();
  });
}

// Live peers not connected (by either end) now.
std::size_t cluster_node::impl::peers_missing() {
  auto live = coord->live_nodes();
  auto self_id = coord->self().id;
  std::lock_guard<std::mutex> lock(mtx);
  std::size_t missing = 0;
  for (auto& r : live)
    if (r.id != self_id && !peers.count(r.id)) ++missing;
  return missing;
}

// Tells every connected peer of a greater id this node's registry, every
// tick (a hello that did not arrive is said again; the peer ignores a
// repeat). Runs on `loop`.
void cluster_node::impl::say_hello() {
  auto self_id = coord->self().id;
  auto inc = coord->incarnation();
  std::vector<caf::actor> to;
  {
    std::lock_guard<std::mutex> lock(mtx);
    for (auto& [id, p] : peers)
      if (id > self_id) to.push_back(p.registry);
  }
  for (auto& reg : to)
    caf::anon_send(reg, actors::hello_atom::value, self_id, inc,
                   node.registry());
}

// A peer of a smaller id connected and says hello (registry's
// hello_atom, on a CAF thread): its registry, if its record is live at
// that incarnation.
void cluster_node::impl::hello(const std::string& id, std::int64_t incarnation,
                               const caf::actor& reg) {
  if (!coord || !reg) return;
  auto rec = coord->live_node(id);
  if (!rec || rec->incarnation != incarnation) return;
  {
    std::lock_guard<std::mutex> lock(mtx);
    auto it = peers.find(id);
    if (it != peers.end() && it->second.registry == reg &&
        it->second.incarnation == incarnation)
      return;  // a repeat
    retry_at.erase(id);
    failures.erase(id);
    add_peer_locked(id, incarnation, reg, "hello");
  }
  poke();
}

// Forgets the peers whose connection CAF closed (their process died, the
// network cut them off): their shards answer `unavailable` at once rather
// than after each request's timeout, until etcd's verdict (the lease)
// hands them to a copy, or a reconnection succeeds. Runs on `loop`.
void cluster_node::impl::drop_closed_peers() {
  std::vector<std::pair<std::string, caf::actor>> now;
  {
    std::lock_guard<std::mutex> lock(mtx);
    for (auto& [id, p] : peers) now.emplace_back(id, p.registry);
  }
  for (auto& [id, reg] : now) {
    std::string why = "no connection to it";
    auto connected = node.peer_connected(reg, connect_timeout / 4, &why);
    if (!connected) {  // no answer: not a verdict, but said
      metrics::emit(log, "debug", "peer_check_failed",
                    {{"node_id", id}, {"error", why}});
      continue;
    }
    if (*connected) {
      std::lock_guard<std::mutex> lock(mtx);
      first_seen.erase(id);  // a hello peer, connected: its wait is over
      continue;
    }
    {
      std::lock_guard<std::mutex> lock(mtx);
      auto it = peers.find(id);
      if (it == peers.end() || it->second.registry != reg) continue;
      peers.erase(it);
      retry_at[id] = clock::now() + reconnect_after;
    }
    metrics::emit(log, "warn", "peer_down",
                  {{"node_id", id}, {"reason", "its connection closed"}});
  }
}

}  // namespace switchboard::app
