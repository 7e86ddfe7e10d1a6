#include "app/shard_mover.hpp"

#include <caf/all.hpp>
#include <chrono>
#include <thread>

#include "actors/directory.hpp"
#include "actors/messages.hpp"
#include "actors/node.hpp"
#include "actors/shard_positions.hpp"
#include "app/shard_copy.hpp"
#include "cluster/coordinator.hpp"
#include "push/service.hpp"
#include "storage/store.hpp"

namespace switchboard::app {

namespace {

using namespace std::chrono_literals;
using state = cluster::shard_record::state_kind;

// A drop's round trip.
constexpr auto page_timeout = 10s;
// How long the shard's actors here may take to stop.
constexpr auto quiesce_timeout = 10s;

// Waits until `pred()` holds or `limit` passed; polls the coordinator's
// watched copy, which has no notification of its own for one shard.
template <class Pred>
bool wait_until(Pred pred, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

}  // namespace

std::string shard_move::run(std::uint32_t shard, const std::string& target) {
  auto self = coord.self().id;
  auto rec = coord.shard(shard);
  if (!rec) return "shard " + std::to_string(shard) + " has no owner";
  if (rec->owner != self || rec->state != state::owned)
    return "shard " + std::to_string(shard) + " is not owned here";
  // The push service first, while this node still takes the shard's
  // writes: its sends of the shard's jobs answered and their erases
  // written, so that the target does not send them again; from here on it
  // leaves the shard's outbox alone (push::service::release).
  auto* pushes = node.pushes();
  auto n16 = static_cast<std::uint16_t>(shard);
  if (pushes) pushes->release(n16, quiesce_timeout);
  auto moving = coord.begin_move(shard, target, rec->mod_revision);
  if (!moving) {
    if (pushes) pushes->keep(n16);
    return "cannot start the move: " + moving.err().message;
  }
  refresh();
  auto epoch = moving->epoch;
  // Frozen from here on (freeze_shard); kept frozen when the shard's actors
  // may still run, so that no second actor of a conversation ever starts.
  bool may_thaw = true;
  auto give_back = [&](const std::string& why) {
    if (pushes) pushes->keep(n16);
    auto back = coord.abort_move(shard, moving->mod_revision);
    if (!back) {
      // The record changed (a finish that timed out but was applied, say):
      // what the target has may be the only copy the map points at, so it
      // is not dropped. An operator sees the state in `shards`.
      metrics::emit(
          log, "error", "shard_move_abort_failed",
          {{"shard", std::to_string(shard)}, {"error", back.err().message}});
      if (may_thaw) node.dir().thaw_shard(shard);
      refresh();
      return why + " (and the move could not be undone: " + back.err().message +
             ")";
    }
    auto dropped = node.ask(target_registry,
                            caf::make_message(actors::drop_atom::value, shard),
                            std::chrono::milliseconds(page_timeout));
    if (!dropped.empty())
      metrics::emit(log, "warn", "shard_move_drop_failed",
                    {{"shard", std::to_string(shard)},
                     {"target", target},
                     {"error", dropped}});
    if (may_thaw) node.dir().thaw_shard(shard);
    refresh();
    metrics::emit(
        log, "warn", "shard_move_failed",
        {{"shard", std::to_string(shard)}, {"target", target}, {"error", why}});
    return why;
  };
  // No actor of the shard starts here from now on, and no write outside
  // its actors (inbox entries of its users, devices) is still on its way.
  if (!node.dir().freeze_shard(shard, coord.shards(), quiesce_timeout))
    return give_back("writes to the shard did not finish in time");
  if (!node.dir().quiesce_shard(shard, coord.shards(), quiesce_timeout)) {
    // An actor still runs: a new one must not start beside it.
    may_thaw = false;
    metrics::emit(log, "error", "shard_stays_frozen",
                  {{"shard", std::to_string(shard)},
                   {"why",
                    "its actors did not stop in time; restart the "
                    "node to serve it again"}});
    return give_back("the shard's actors did not stop in time");
  }
  // Every write of those actors is durable once an empty batch committed
  // after them has (the group commit completes batches in order).
  auto& store = node.store();
  if (auto s = store.commit_and_wait(storage::batch{}); !s)
    return give_back("the store cannot write: " + s.err().message);
  std::size_t keys = 0;
  if (auto why = copy_shard(node, target_registry, shard, epoch, false, keys);
      !why.empty())
    return give_back(why);
  auto done = coord.finish_move(shard, moving->mod_revision);
  if (!done) {
    // A txn that timed out may have been applied: the watched map says.
    bool theirs = wait_until(
        [&] {
          auto r = coord.shard(shard);
          return r && r->state == state::owned && r->owner == target;
        },
        3000ms);
    if (!theirs)
      return give_back("cannot switch the map: " + done.err().message);
  }
  refresh();
  if (pushes) pushes->gone(n16);
  node.dir().thaw_shard(shard);  // its route sends everything away now
  storage::batch erase;
  erase.skip_replication();  // no longer this node's shard
  erase.erase_shard(static_cast<std::uint16_t>(shard));
  auto erased = store.commit_and_wait(std::move(erase));
  // The position goes with the keys; a copy left half-erased is no copy
  // this node may ever join with (shard_positions::diverge).
  if (auto* positions = node.positions())
    erased ? positions->reset(shard, {}) : positions->diverge(shard);
  if (!erased)
    metrics::emit(
        log, "error", "shard_copy_not_erased",
        {{"shard", std::to_string(shard)}, {"error", erased.err().message}});
  metrics::emit(log, "info", "shard_moved",
                {{"shard", std::to_string(shard)},
                 {"target", target},
                 {"keys", std::to_string(keys)},
                 {"epoch", std::to_string(epoch + 1)}});
  return "";
}

}  // namespace switchboard::app
