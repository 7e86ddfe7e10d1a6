#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "storage/records.hpp"

namespace switchboard::actors {

// How an ack or a read moves a member's cursors (PROTOCOL.md "Client to
// server", ack and read): they are cumulative and never go back; a msg_id past
// the last durable message counts as that one; a read is a delivery too.
struct cursor_move {
  std::optional<std::uint64_t> delivered;  // its new delivered cursor
  std::optional<std::uint64_t> read;       // its new read cursor
  bool moved() const noexcept { return delivered || read; }
};

// Moves `ms` for an ack (or, with `read`, a read) up to `msg_id`, with
// `durable_upto` the conversation's last durable message; what moved.
inline cursor_move move_cursor(storage::member_state& ms, std::uint64_t msg_id,
                               bool read, std::uint64_t durable_upto) {
  cursor_move out;
  auto target = msg_id < durable_upto ? msg_id : durable_upto;
  auto delivered = read && ms.read_upto > target ? ms.read_upto : target;
  if (delivered > ms.delivered_upto) {
    ms.delivered_upto = delivered;
    out.delivered = delivered;
  }
  if (read && target > ms.read_upto) {
    ms.read_upto = target;
    out.read = target;
  }
  return out;
}

// The cursor writes of one conversation: one in flight at a time; the
// members whose cursors move meanwhile are written together by the next,
// and whoever waits for them (`Waiter`: the conversation actor's promise
// and receipts) is answered with it. Only a member's newest cursor is
// written, so any number of acks while a write is on its way cost one
// more write. Not thread-safe: the actor's own.
template <class Waiter>
class cursor_writes {
 public:
  struct write {
    std::set<std::string> users;  // whose cursors to write
    std::vector<Waiter> waiters;  // answered once it is durable
  };

  // `user`'s cursors moved; `w` waits for them to be durable.
  void add(const std::string& user, Waiter w) {
    dirty_.insert(user);
    waiting_.push_back(std::move(w));
  }
  // The write to start now: nullopt while one is in flight, or when
  // nothing moved. finished() must follow it.
  std::optional<write> next() {
    if (in_flight_ || dirty_.empty()) return std::nullopt;
    in_flight_ = true;
    write w{std::move(dirty_), std::move(waiting_)};
    dirty_.clear();
    waiting_.clear();
    return w;
  }
  // The write next() gave is durable, or failed.
  void finished() noexcept { in_flight_ = false; }
  // What waits for no write yet (the conversation stops: they are told).
  std::vector<Waiter> drop_waiting() {
    dirty_.clear();
    auto w = std::move(waiting_);
    waiting_.clear();
    return w;
  }

  bool in_flight() const noexcept { return in_flight_; }
  bool pending() const noexcept { return !dirty_.empty(); }

 private:
  bool in_flight_ = false;
  std::set<std::string> dirty_;
  std::vector<Waiter> waiting_;
};

}  // namespace switchboard::actors
