#pragma once

#include <cstdint>
#include <string>

#include "storage/batch.hpp"
#include "storage/message_record.hpp"
#include "storage/result.hpp"
#include "storage/store.hpp"

namespace switchboard::storage {

// One conversation's log as its sequencer sees it: it hands out the next
// gap-free msg_id and queues the message, with its idempotency key, in the
// same atomic batch. Reads are the store's (oldest/newest first, pages).
//
// Owned by one actor; not thread-safe. `*s` must outlive this object.
// A msg_id is assigned before the write is durable; if that write fails the
// store takes no write until it has recovered (group_commit), and the owner
// must open the log again (its next id from the store) and fence its
// batches with the store's failure generation (batch::fence), so that an
// acknowledged id is never followed by a gap.
class conversation_log {
 public:
  // Reads the last stored msg_id of `conv` (blocking).
  static result<conversation_log> open(store& s, std::string conv);

  const std::string& conv_id() const noexcept { return conv_; }
  // The last msg_id handed out (durable or still being written).
  std::uint64_t last_msg_id() const noexcept { return last_; }

  // Gives `m` the next msg_id and adds it to `b`; a non-empty
  // client_msg_id also gets its idempotency key. Returns the msg_id, or
  // errc::invalid_argument (and no id is used up) for a sender or
  // client_msg_id the store cannot key.
  result<std::uint64_t> append(batch& b, message& m);

  // append() in a batch of its own, committed at once; `done` runs when it
  // is durable.
  result<std::uint64_t> append(message m, completion done);

  result<page> read_after(std::uint64_t after, std::size_t limit) const {
    return store_->read_after(conv_, after, limit);
  }
  result<page> read_before(std::uint64_t before, std::size_t limit) const {
    return store_->read_before(conv_, before, limit);
  }
  result<page> read_newest(std::size_t limit) const {
    return store_->read_newest(conv_, limit);
  }

 private:
  conversation_log(store& s, std::string conv, std::uint64_t last)
      : store_(&s), conv_(std::move(conv)), last_(last) {}

  store* store_;
  std::string conv_;
  std::uint64_t last_;
};

}  // namespace switchboard::storage
