#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "bench/harness/results.hpp"

namespace switchboard::bench {

// What one harness thread expects the node to answer, and the checks of what
// it did answer: every send acknowledged once and never as a duplicate,
// msg_ids gap-free per conversation, every other member receiving each
// message exactly once and in increasing order. Violations and latencies
// go into the `results` given at construction. Users and conversations are
// indices; a user's sends are numbered 1, 2, ... (its `seq`). Not
// thread-safe: one per worker thread. `r` must outlive the ledger.
class ledger {
 public:
  // members[c]: the users of conversation c.
  ledger(std::size_t users, std::vector<std::vector<std::size_t>> members,
         bool track_delivery, results& r);

  // User u sends its message `seq` to its conversation, due at `due_ns`.
  void sending(std::size_t u, std::uint64_t seq, std::uint64_t due_ns);
  // The `sent` answer for u's message `seq`. Returns false (a violation)
  // when it was not expected.
  bool acknowledged(std::size_t u, std::uint64_t seq, std::uint64_t msg_id,
                    bool duplicate, std::uint64_t now);
  // An `error` answer for u's message `seq`: no longer pending.
  void failed(std::size_t u, std::uint64_t seq);
  // When u's message `seq` was due, while it waits for its `sent`.
  std::optional<std::uint64_t> pending_due(std::size_t u,
                                           std::uint64_t seq) const;
  // The highest msg_id user u received (what its ack says).
  std::uint64_t last_received(std::size_t u) const {
    return users_[u].last_received;
  }
  // User u received `msg_id` of its conversation, sent (due) at `due_ns`.
  void received(std::size_t u, std::uint64_t msg_id, std::uint64_t due_ns,
                std::uint64_t now);
  // A delivered receipt up to `msg_id` for user u's messages.
  void delivered_upto(std::size_t u, std::uint64_t msg_id, std::uint64_t now);

  // Every send answered, (with delivery tracking) every message delivered,
  // and every expected message received.
  bool drained() const;
  // The checks that need the whole run; call once, after the load.
  void finish(const std::vector<std::string>& user_ids,
              const std::vector<std::string>& conv_ids);

  std::uint64_t acked() const noexcept { return acked_; }
  std::uint64_t received_count() const noexcept { return received_; }

 private:
  struct user {
    std::size_t conv = 0;
    std::unordered_map<std::uint64_t, std::uint64_t> pending;  // seq -> due
    std::map<std::uint64_t, std::uint64_t> undelivered;        // msg_id -> due
    std::uint64_t last_received = 0;
    // The highest delivered receipt so far: a receipt may overtake the
    // `sent` of a message it covers (they travel different paths).
    std::uint64_t delivered_upto = 0;
    std::vector<std::uint64_t> received_ids;
  };
  struct conversation {
    std::vector<std::size_t> members;
    // sender_of[msg_id]: the user whose message it is; -1: not seen yet.
    std::vector<long> sender_of;
    std::uint64_t acked = 0;
  };

  std::vector<user> users_;
  std::vector<conversation> convs_;
  bool track_delivery_;
  results& r_;
  std::uint64_t acked_ = 0, received_ = 0;
};

}  // namespace switchboard::bench
