#pragma once

// The inside of actors/replicator, shared by its parts only: replicator.cpp
// (groups, followers, completions) and replicator_learners.cpp (replicas
// catching up). Everything here is touched inside the replicator's actor,
// but the atomics.

#include <atomic>
#include <caf/all.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "actors/messages.hpp"
#include "actors/replication_wire.hpp"
#include "actors/replicator.hpp"
#include "actors/request_timer.hpp"

namespace switchboard::actors {

namespace replicator_detail {

enum class outcome : std::uint8_t { waiting, persisted, refused, not_removed };

struct ask {
  std::string node;
  outcome state = outcome::waiting;
  std::string why;
};

// One group the store wrote, until its completions ran.
struct group {
  group() = default;
  group(const group&) = delete;
  group& operator=(const group&) = delete;
  // A group dropped unfinished (its message never reached the actor, which
  // exited) still completes each batch once.
  ~group() {
    for (auto& d : done)
      d(storage::error{storage::errc::closed, "the node is shutting down"});
  }
  std::vector<storage::shard_append> appends;
  std::vector<storage::completion> done;
  std::vector<std::vector<ask>> asks;  // per append: its followers
  std::chrono::steady_clock::time_point start{};
  bool asked = false;  // a follower was asked
};

inline repl_append to_wire(const storage::shard_append& a) {
  repl_append w;
  w.shard = a.shard;
  w.prev_epoch = a.prev.epoch;
  w.prev_seq = a.prev.seq;
  w.epoch = a.at.epoch;
  w.seq = a.at.seq;
  w.ops.reserve(a.ops.size());
  for (auto& o : a.ops) w.ops.push_back(actors::to_wire(o));
  return w;
}

// A replica catching up on a shard while its writes go on (docs/cluster.md
// "Replicas, in-sync copies and failover", catch-up): not in the ISR, so no
// write waits for it. Every group's writes to the shard are queued for it, in
// order; while its copy is made they wait, then they are sent (those the copy
// holds dropped), a window of messages at a time, as to a follower.
struct learner {
  enum class phase : std::uint8_t { copying, streaming, failed };
  std::uint64_t id = 0;  // tells its answers from an earlier learner's
  caf::actor registry;
  phase state = phase::copying;
  bool draining = false;          // being dropped: nothing more is queued
  std::deque<repl_append> queue;  // not sent yet, in order
  std::size_t queued_bytes = 0;
  std::size_t in_flight = 0;  // messages not answered yet
  std::uint64_t acked = 0;    // the highest seq it persisted
  std::string why;            // failed's
  // Run once it persisted up to a seq, or failed (learner_copied).
  std::vector<std::pair<std::uint64_t, std::function<void()>>> on_acked;
  // Run once nothing is in flight (drop_learner).
  std::vector<std::function<void()>> on_idle;
};

// What a learner may have queued; more fails its catch-up (the shard is
// then copied under a pause of its writes instead).
constexpr std::size_t learner_queue_max = 64u << 20;

}  // namespace replicator_detail

// Everything but the atomics is touched inside the replicator's actor only.
struct replicator::core {
  node_context* ctx = nullptr;
  caf::actor actor;
  caf::event_based_actor* self = nullptr;  // while the actor runs
  // Groups handed to the actor and not completed yet (the writer thread
  // completes a group inline only when this is 0, to keep the order).
  std::atomic<std::int64_t> pending{0};
  std::deque<std::shared_ptr<replicator_detail::group>> queue;
  // (shard, node) whose removal from the ISR is under way.
  std::map<std::pair<std::uint32_t, std::string>, bool> shrinking;
  // By (shard, node); their number, which the writer thread reads (a group
  // goes through the actor while there is one).
  std::map<std::pair<std::uint32_t, std::string>, replicator_detail::learner>
      learners;
  std::atomic<std::size_t> learner_count{0};
  std::uint64_t next_learner_id = 1;
  request_timer timer;  // the deadlines of the appends in flight

  void take(std::shared_ptr<replicator_detail::group> g);
  void refused(const std::shared_ptr<replicator_detail::group>& g,
               const std::string& node, const std::string& why);
  void shrunk(std::uint32_t shard, const std::string& node,
              const std::string& why);
  void settle();
  void finish(const storage::status& st);

  // replicator_learners.cpp
  // Queues the group's appends for the learners of their shards.
  void feed_learners(const replicator_detail::group& g);
  // Sends what the learner has queued, a window of messages at a time.
  void pump(const std::pair<std::uint32_t, std::string>& key);
  void learner_failed(replicator_detail::learner& l,
                      const std::pair<std::uint32_t, std::string>& key,
                      const std::string& why);
  // Runs the waiters of the learner that are due.
  void learner_progress(const std::pair<std::uint32_t, std::string>& key);
};

}  // namespace switchboard::actors
