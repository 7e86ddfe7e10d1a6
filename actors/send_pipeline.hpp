#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "actors/dedup_window.hpp"

// The conversation actor's send pipeline apart from the actor
// (conversation_send.cpp), so that its rules are tested without one: the
// sends that wait while a lookup of idempotency keys is in flight, and the
// duplicates held until what they repeat is acknowledged. `Job` is the
// actor's send job (its tests use plain values). Not thread-safe.
namespace switchboard::actors {

// Sends in arrival order, a batch at a time. Its invariant: at most one
// batch is being looked up, and the sends that came meanwhile wait for it,
// so that msg_ids follow arrival order even when a batch needs the store.
template <class Job>
class send_queue {
 public:
  void push(Job job) { queued_.push_back(std::move(job)); }

  // Every send queued, in arrival order; none while a lookup is in flight.
  std::vector<Job> take() {
    std::vector<Job> out;
    if (!looking_up_) out.swap(queued_);
    return out;
  }

  // The batch last taken is being looked up, until lookup_done().
  void lookup_started() noexcept { looking_up_ = true; }
  void lookup_done() noexcept { looking_up_ = false; }
  bool looking_up() const noexcept { return looking_up_; }

  // Nothing queued (a lookup may still be in flight).
  bool empty() const noexcept { return queued_.empty(); }

  // Every send queued, taken out to be refused (the actor reloads).
  std::vector<Job> drop() {
    std::vector<Job> out;
    out.swap(queued_);
    return out;
  }

 private:
  std::vector<Job> queued_;
  bool looking_up_ = false;
};

// Retries of messages sent before, until they may be answered `sent`: a
// duplicate is answered only once its original is durable, and, with
// copies, once the conversation's store is known to be on every copy in
// sync (`confirmed`: a write that failed to replicate stays in the
// leader's store, unacknowledged, and a retry of it must not be the first
// to be told it was sent).
template <class Job>
class duplicate_holds {
 public:
  // `job` repeats the message sent as `id`, with the conversation durable
  // up to `durable_upto`. Returns the job when it may be answered now;
  // otherwise holds it.
  std::optional<Job> hold(Job job, sent_id id, std::uint64_t durable_upto,
                          bool confirmed) {
    if (id.msg_id > durable_upto) {
      writing_.emplace(id.msg_id, held{std::move(job), id});
      return std::nullopt;
    }
    if (!confirmed) {
      unconfirmed_.push_back(held{std::move(job), id});
      return std::nullopt;
    }
    return job;
  }

  // The messages up to `upto` are durable: the duplicates of those that
  // waited for their write, in msg_id order, to be answered.
  std::vector<std::pair<Job, sent_id>> durable(std::uint64_t upto) {
    std::vector<std::pair<Job, sent_id>> out;
    while (!writing_.empty() && writing_.begin()->first <= upto) {
      auto node = writing_.extract(writing_.begin());
      out.emplace_back(std::move(node.mapped().job), node.mapped().id);
    }
    return out;
  }

  // The write of the messages up to `last` failed: the duplicates of those,
  // to be refused (their originals will never be sent).
  std::vector<Job> failed(std::uint64_t last) {
    std::vector<Job> out;
    while (!writing_.empty() && writing_.begin()->first <= last) {
      auto node = writing_.extract(writing_.begin());
      out.push_back(std::move(node.mapped().job));
    }
    return out;
  }

  // A write of the conversation replicated, which proves every earlier one
  // is on every copy: the duplicates that waited for that, to be answered.
  std::vector<std::pair<Job, sent_id>> confirm() {
    std::vector<std::pair<Job, sent_id>> out;
    for (auto& h : unconfirmed_) out.emplace_back(std::move(h.job), h.id);
    unconfirmed_.clear();
    return out;
  }

  // Duplicates wait for a confirmation (a barrier write gives one when no
  // other write is coming).
  bool awaiting_confirmation() const noexcept { return !unconfirmed_.empty(); }
  bool empty() const noexcept {
    return writing_.empty() && unconfirmed_.empty();
  }

  // Every duplicate held, taken out to be refused (the actor reloads).
  std::vector<Job> drop() {
    std::vector<Job> out;
    for (auto& [_, h] : writing_) out.push_back(std::move(h.job));
    for (auto& h : unconfirmed_) out.push_back(std::move(h.job));
    writing_.clear();
    unconfirmed_.clear();
    return out;
  }

 private:
  struct held {
    Job job;
    sent_id id;
  };
  std::multimap<std::uint64_t, held> writing_;  // by the original's msg_id
  std::vector<held> unconfirmed_;
};

}  // namespace switchboard::actors
