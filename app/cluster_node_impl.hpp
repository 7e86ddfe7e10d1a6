#pragma once

// The inside of app/cluster_node, shared by its parts and included by
// them only: cluster_node.cpp (start, stop, moves), cluster_peers.cpp
// (connections), cluster_routes.cpp (the directory's routes),
// cluster_replicas.cpp (failover, the keeper, ISR shrinks), cluster_copies.cpp
// (catch-up, joins, transfers, copies moved) and cluster_admin.cpp (what
// the admin shell shows).

#include <algorithm>
#include <atomic>
#include <caf/all.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "actors/directory.hpp"
#include "actors/node.hpp"
#include "actors/shard_positions.hpp"
#include "app/cluster_node.hpp"
#include "app/shard_mover.hpp"
#include "app/shard_reconcile.hpp"
#include "cluster/coordinator.hpp"
#include "metrics/metrics.hpp"

namespace switchboard::app {

namespace cluster_detail {

using clock = std::chrono::steady_clock;
using route = actors::directory::shard_route;

// How often the routes are recomputed even when nothing was reported: the
// lease's validity runs out by itself, without an event.
constexpr auto tick = std::chrono::milliseconds(250);
// A peer that could not be reached is tried again after this times the
// failures in a row, up to reconnect_max.
constexpr auto reconnect_after = std::chrono::milliseconds(250);
constexpr auto reconnect_max = std::chrono::milliseconds(2000);
// One connection attempt to a peer (docs/ARCHITECTURE.md "cluster/": every
// request across nodes has a finite timeout).
constexpr auto connect_timeout = std::chrono::milliseconds(2000);
// How long a node waits for a live peer of a smaller id to connect and say
// hello before it connects itself: longer than that peer's connection
// attempt and a tick, so that the fallback does not start just as the
// peer's attempt ends (two connections made at once from both ends make CAF
// 0.17 close both).
constexpr auto hello_wait = connect_timeout + 2 * tick;
// What a client waits before retrying a shard that has no reachable owner:
// about the time a returning node or a finished move takes to show.
constexpr std::int64_t retry_after_ms = 1000;

// A peer's "host:port" from etcd; port 0 (which nothing listens on) when
// it is malformed: a bad record must not take the node down.
inline std::pair<std::string, std::uint16_t> split_host_port(
    const std::string& a) {
  auto colon = a.rfind(':');
  if (colon == std::string::npos) return {a, 0};
  unsigned long port = 0;
  try {
    port = std::stoul(a.substr(colon + 1));
  } catch (const std::exception&) {
    port = 0;
  }
  return {a.substr(0, colon),
          static_cast<std::uint16_t>(port > 65535 ? 0 : port)};
}

inline bool contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

inline route unavailable(std::string owner, std::string why) {
  route r;
  r.what = route::kind::unavailable;
  r.owner = std::move(owner);
  r.retry_after_ms = retry_after_ms;
  r.reason = std::move(why);
  return r;
}

}  // namespace cluster_detail

// The version of what nodes say to each other (the message types of
// actors/messages.hpp and the registry's protocol): nodes that differ do not
// talk. Raise it with any change a node of the previous version would
// misread. 2: batched sends and deliveries, rate budget loans (lend_atom).
// 3: shard replication (replicate_atom, position_atom, shard_chunk::replica).
// 4: one connection per pair of nodes, the smaller id's, and hello_atom.
// 5: copies moved by rebalance (move_atom with a copy to add and remove).
// 6: push notifications across nodes (outbox_atom, pushcur_atom, unread_atom).
// 7: reconciliation (journal_atom, patch_atom); proto_error's code is a
// proto_code (one byte), no longer a string.
// 8: idempotency values carry the message's timestamp (16 bytes), which a
// node of 7 reads as corrupt when replication or a copy brings them.
// 9: the inbox read in pages. 10: presence subscriptions checked again
// when members change (revalidate_atom, presence_atom).
// 11: the `denied` request budget: budget indices (budget_slices) moved.
// 12: deliveries to users whose shard changes hands go to every node
// (stray_atom, actors/stray_delivery.hpp).
constexpr int cluster_protocol_version = 12;

using namespace cluster_detail;  // internal header: app/cluster_*.cpp only

struct cluster_node::impl {
  using clock = cluster_detail::clock;
  using route = cluster_detail::route;

  actors::node& node;
  metrics::node_metrics& m;
  metrics::log_sink log;
  std::string cluster_name;
  std::unique_ptr<cluster::coordinator> coord;

  struct peer {
    std::int64_t incarnation = 0;
    caf::actor registry;
  };
  std::mutex publish_mtx;  // publish_routes, whole
  std::mutex mtx;
  std::condition_variable cv;
  bool dirty = true;
  bool stopping = false;
  std::map<std::string, peer> peers;  // connected, by node id
  std::map<std::string, clock::time_point> retry_at;
  std::map<std::string, int> failures;  // connection attempts in a row
  // Live peers of a smaller id not connected yet, since when (they connect
  // to this node and say hello).
  std::map<std::string, clock::time_point> first_seen;
  // Cleared, under its mutex, before the members go: a late down notice or
  // move request (CAF threads) holds the mutex while it uses the impl, so
  // it either finishes first or sees it gone.
  struct liveness {
    std::mutex m;
    bool alive = true;
  };
  std::shared_ptr<liveness> alive = std::make_shared<liveness>();
  std::atomic<bool> ready{false};
  // Set once `coord` exists: hellos before are ignored (said again).
  std::atomic<bool> ready_for_hello{false};
  std::thread loop;
  // Moves asked by the registry (move_atom), run one at a time off CAF's
  // threads.
  std::deque<std::function<void()>> moves;
  std::thread mover;

  // --- replication (cluster_replicas.cpp, docs/cluster.md "Replicas, in-sync
  // copies and failover") --- The keeper takes over the shards of dead leaders,
  // gives shards their copies and brings followers into the ISR, off the loop's
  // thread (a catch-up copies a shard); the ISR worker runs the replicator's
  // shrinks, which writes wait for, so never behind a copy.
  bool keep_dirty = true;
  std::thread keeper;
  // Shards taken over and not yet taking writes, since when (under mtx).
  std::map<std::uint32_t, clock::time_point> taken_over;
  // Observes the failover of `shard` once its copies in sync suffice.
  void failover_done(std::uint32_t shard, const cluster::shard_record& rec);
  std::deque<std::function<void()>> isr_jobs;
  std::thread isr_worker;
  void run_keeper();
  // One pass; true when it changed something (another pass follows).
  bool keep_replicas();
  // On the loop: takes the shards of dead leaders this node is first in
  // the ISR of; true when it took one.
  bool take_over_dead();
  // Shards the map gave this node's id before this process registered,
  // with their epoch then (under mtx): not led at that epoch or below,
  // whatever map a publisher holds, until resume_inherited() moved each on.
  std::map<std::uint32_t, std::int64_t> inherited;
  std::set<std::uint32_t> resume_failure_logged;  // once per shard (mtx)
  bool is_inherited(std::uint32_t shard, const cluster::shard_record& rec,
                    const std::string& self_id) const;
  // At start and then on the loop: each inherited shard still owned here
  // at epoch + 1 (coordinator::resume), or handed to a live copy in sync
  // that holds more of its log (coordinator::transfer), or forgotten once
  // another owns it; true when the map changed.
  bool resume_inherited();
  // Brings `node` (a replica of `shard`, live; with `new_copy`, a node
  // that becomes one) into the ISR: "" or why not.
  std::string join(std::uint32_t shard, const std::string& node,
                   bool new_copy = false);
  // Asks node `node` to erase its data of `shard` (a copy it is no longer,
  // or the pages of a join that did not make it one), unless the shard's
  // record lists it as a copy; logged when it never did. Blocks the
  // calling thread.
  void drop_copy(std::uint32_t shard, const std::string& node);
  // The part of a join while the shard takes writes: the replica brought
  // to a snapshot's position (bring_copy), then the stream of the writes
  // since (the replicator's learner, left running). "" or why not; `keys`
  // gets the count copied or patched, `how` is set when it was reconciled.
  std::string catch_up(std::uint32_t shard, const std::string& node,
                       const caf::actor& reg, std::int64_t epoch,
                       std::size_t& keys, std::optional<patched>& how);
  // The copy of `shard` at `reg` brought to this node's as of `at`:
  // reconciled when the journals can tell (`how` set,
  // app/shard_reconcile.hpp), else copied whole. "" or why not; `keys`
  // gets the count copied or patched, `copied` (when given) the position
  // it is at now.
  std::string bring_copy(std::uint32_t shard, const std::string& node,
                         const caf::actor& reg, std::int64_t epoch,
                         const storage::store::snapshot& at, std::size_t& keys,
                         std::optional<patched>& how,
                         storage::shard_position* copied = nullptr);
  // Moves a copy of `shard` (led here) to `add` from `remove` (either may
  // be empty): `add` joins the ISR first (join), then `remove` leaves the
  // record, never leaving fewer copies in sync than min-insync, and its
  // data there is dropped. "" or why not.
  std::string move_copy(std::uint32_t shard, const std::string& add,
                        const std::string& remove);
  // node_context::shrink_isr: queued for the ISR worker.
  void shrink(std::uint32_t shard, std::string node,
              std::function<void(std::string)> done);
  std::string shrink_now(std::uint32_t shard, const std::string& node);
  // Hands the leadership of `shard` to `target`, a member of its ISR: the
  // shard is quiet for one barrier write and one txn. "" or why not.
  std::string transfer(std::uint32_t shard, const std::string& target);

  // Runs the jobs of `queue` (under mtx) one at a time, off the lock,
  // until the node stops and nothing is left: the mover's and the ISR
  // worker's loop.
  void run_jobs(std::deque<std::function<void()>>& queue) {
    std::unique_lock<std::mutex> lock(mtx);
    for (;;) {
      cv.wait(lock, [&] { return stopping || !queue.empty(); });
      if (queue.empty()) return;  // stopping, nothing left
      auto job = std::move(queue.front());
      queue.pop_front();
      lock.unlock();
      job();
      lock.lock();
    }
  }

  // The registry of node `id` (this node's own for itself), or null.
  caf::actor registry_of(const std::string& id) {
    if (id == coord->self().id) return node.registry();
    std::lock_guard<std::mutex> lock(mtx);
    auto it = peers.find(id);
    return it == peers.end() ? caf::actor{} : it->second.registry;
  }

  // Set while this node moves a shard away (one at a time: moves are
  // serial in rebalance and in the mover).
  std::atomic<bool> moving_now{false};

  // A shard left "moving" from this node with no move running (the node
  // crashed or lost etcd mid-move) is given back to itself, so that it
  // is not unavailable forever. Runs on `loop`.
  void sweep_stuck_moves() {
    if (moving_now || !coord->lease_valid()) return;
    auto self_id = coord->self().id;
    auto map = coord->shard_map();
    for (std::uint32_t n = 0; n < map.size(); ++n) {
      auto& r = map[n];
      if (!r || r->owner != self_id ||
          r->state != cluster::shard_record::state_kind::moving)
        continue;
      if (moving_now) return;
      auto back = coord->abort_move(n, r->mod_revision);
      metrics::emit(log, back ? "warn" : "error", "stuck_move_undone",
                    {{"shard", std::to_string(n)},
                     {"target", r->target},
                     {"error", back ? std::string() : back.err().message}});
    }
  }

  std::string move(std::uint32_t shard, const std::string& target) {
    if (!coord) return "the node is still joining its cluster";
    if (moving_now.exchange(true)) return "another move is running here";
    struct done_moving {
      std::atomic<bool>& flag;
      ~done_moving() { flag = false; }
    } guard{moving_now};
    // A node that joined a moment ago may not be connected yet.
    auto deadline = clock::now() + connect_timeout * 2;
    auto reg = registry_of(target);
    while (!reg && clock::now() < deadline) {
      poke();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      reg = registry_of(target);
    }
    if (!reg) return "node " + target + " is not connected";
    // A shard with copies: leadership goes to a copy in sync, gracefully;
    // a copy still catching up cannot lead yet.
    if (auto rec = coord->shard(shard)) {
      if (cluster::in_isr(*rec, target)) return transfer(shard, target);
      if (cluster::is_replica(*rec, target))
        return "node " + target + " has a copy of shard " +
               std::to_string(shard) +
               " that is still catching up; retry once it is in sync";
    }
    shard_move m{*coord, node, reg, [this] { publish_routes(); }, log};
    return m.run(shard, target);
  }

  impl(actors::node& n, metrics::node_metrics& mm, metrics::log_sink l)
      : node(n), m(mm), log(std::move(l)) {}
  // The coordinator first: its watch thread calls poke(), which needs the
  // mutex and the condition variable declared after it.
  ~impl() {
    {
      std::lock_guard<std::mutex> living(alive->m);
      alive->alive = false;
    }
    coord.reset();
  }

  void poke() {
    {
      std::lock_guard<std::mutex> lock(mtx);
      dirty = true;
      keep_dirty = true;
    }
    cv.notify_all();
  }

  // Connects to every live peer not connected yet (or known by an older
  // incarnation) and forgets the peers that are gone. Runs on `loop`.
  void connect_peers();

  // With mtx held: `reg` is the registry of node `id` at `incarnation`.
  void add_peer_locked(const std::string& id, std::int64_t incarnation,
                       const caf::actor& reg, const char* how);

  // Live peers not connected (by either end) now.
  std::size_t peers_missing();

  // Tells every connected peer of a greater id this node's registry, every
  // tick (a hello that did not arrive is said again; the peer ignores a
  // repeat). Runs on `loop`.
  void say_hello();

  // A peer of a smaller id connected and says hello (registry's
  // hello_atom, on a CAF thread): its registry, if its record is live at
  // that incarnation.
  void hello(const std::string& id, std::int64_t incarnation,
             const caf::actor& reg);

  // Forgets the peers whose connection CAF closed (their process died, the
  // network cut them off): their shards answer `unavailable` at once rather
  // than after each request's timeout, until etcd's verdict (the lease)
  // hands them to a copy, or a reconnection succeeds. Runs on `loop`.
  void drop_closed_peers();

  // The directory's routes from the shard map, the lease and the peers.
  void publish_routes();

  void run() {
    std::unique_lock<std::mutex> lock(mtx);
    while (!stopping) {
      cv.wait_for(lock, tick, [&] { return dirty || stopping; });
      if (stopping) break;
      dirty = false;
      lock.unlock();
      connect_peers();
      publish_routes();
      sweep_stuck_moves();
      // Here, not on the keeper: a dead leader's shards are taken over at
      // once, never behind a copy the keeper is making.
      bool resumed = resume_inherited();
      if (take_over_dead() || resumed) poke();
      lock.lock();
    }
  }
};

}  // namespace switchboard::app
