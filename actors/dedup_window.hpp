#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>

namespace switchboard::actors {

// A message's id and timestamp, as a duplicate of it is answered.
struct sent_id {
  std::uint64_t msg_id = 0;
  std::int64_t ts = 0;
};

// A conversation's recent (sender, client_msg_id) keys and what they were
// sent as: answers retries without a read, and repeats of a message that
// is still being written. Its invariant: every key whose message is not
// durable yet is held (the store may not show those), so a retry of it is
// always a duplicate; the oldest of the others go once there are more
// than `cap`. Not thread-safe: the conversation actor's own.
class dedup_window {
 public:
  explicit dedup_window(std::size_t cap = 256) : cap_(cap) {}

  // What `key` was sent as; nullptr when it is new (unknown, or its write
  // failed).
  const sent_id* find(const std::string& key) const {
    auto it = ids_.find(key);
    return it == ids_.end() || it->second.msg_id == 0 ? nullptr : &it->second;
  }
  // `key` was sent as `id` (accepted now, or found in the store), with
  // `durable_upto` the conversation's last durable message.
  void record(const std::string& key, sent_id id, std::uint64_t durable_upto) {
    auto [it, fresh] = ids_.try_emplace(key, id);
    if (!fresh) {
      it->second = id;  // a failed write's key, sent again
      return;
    }
    order_.push_back(&it->first);
    while (order_.size() > cap_) {
      auto old = ids_.find(*order_.front());
      if (old != ids_.end()) {
        if (old->second.msg_id > durable_upto) break;  // not durable yet
        ids_.erase(old);
      }
      order_.pop_front();
    }
  }
  // The write of `key`'s message failed: a retry is a new send, not a
  // duplicate of an id that will never be durable.
  void failed(const std::string& key) {
    if (auto it = ids_.find(key); it != ids_.end()) it->second = sent_id{};
  }
  std::size_t size() const noexcept { return ids_.size(); }

 private:
  std::size_t cap_;
  std::unordered_map<std::string, sent_id> ids_;
  std::deque<const std::string*> order_;  // the keys of ids_, oldest first
};

}  // namespace switchboard::actors
