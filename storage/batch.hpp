#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/column_family.hpp"
#include "storage/message_record.hpp"
#include "storage/records.hpp"

namespace switchboard::storage {

// A set of writes that become durable together, atomically, through the
// store's group commit. Plain data: built by one thread, then moved into
// store::commit. Invalid ids are remembered and fail the whole commit with
// errc::invalid_argument, so nothing of a half-valid batch is written.
class batch {
 public:
  struct op {
    column_family cf;
    std::string key;
    std::optional<std::string> value;  // nullopt: delete the key
    // stable_hash of the id that places the key; its first two bytes are
    // the shard, written by assign_shards once the store's S is known.
    std::uint64_t shard_hash = 0;
    // A key whose shard is written already (put_raw, erase_shard).
    bool raw = false;
    // Not empty: deletes every key in [key, range_end) (erase_shard).
    std::string range_end{};
  };

  void put_message(std::string_view conv, const message& m);
  // The msg_id and timestamp a retry of (sender, client_msg_id) is
  // answered with (store::find_idempotent).
  void put_idempotency(std::string_view conv, std::string_view sender,
                       std::string_view client_msg_id, std::uint64_t msg_id,
                       std::int64_t ts_ms);
  void put_conversation(std::string_view conv, const conversation_meta& meta);
  void put_member(std::string_view conv, std::string_view user,
                  const member_state& state);
  void erase_member(std::string_view conv, std::string_view user);
  void put_inbox(std::string_view user, std::string_view conv);
  void erase_inbox(std::string_view user, std::string_view conv);
  void put_device(std::string_view user, const device& d);
  void erase_device(std::string_view user, std::string_view token);
  // A job is stored in the shard of job.user_id.
  // A job of the push outbox: in its user's shard, or a conversation's
  // burst (user_id empty) in the conversation's; `home` is that id.
  void put_push_job(std::uint64_t seq, const push_job& job);
  void erase_push_job(std::string_view home, std::uint64_t seq);
  void put_last_seen(std::string_view user, std::int64_t ts_ms);
  // Tokens of `user` issued before `not_before_s` are refused.
  void put_revocation(std::string_view user, std::int64_t not_before_s);

  // A key and value as store::read_shard gave them, shard included: a
  // shard copied from another node's store (of the same format and S).
  void put_raw(column_family cf, std::string key, std::string value);
  // Deletes every key of `shard` in every column family that moves with
  // it (moves_with_shard).
  void erase_shard(std::uint16_t shard);
  // Writes nothing of its own, but makes the batch a write to the shard of
  // `id`: with replication it is a group of that shard (its position
  // written, its followers asked), a barrier that proves every earlier
  // write of the shard is on them. Only for a store with a replication
  // sink, which writes the shard's position over it in the same write.
  void touch_shard(std::string_view id);
  // `o` as it is: an op of another store's batch, its shard assigned (a
  // follower applying its leader's writes). Its key must hold the shard.
  void add_raw(op o);

  // A write that is not this node's to replicate (a follower's apply, a
  // shard copied here or erased): it completes once durable here, never
  // behind the groups that wait for followers (storage/replication_sink),
  // so that two nodes following each other's shards never wait on each
  // other.
  void skip_replication() noexcept { local_ = true; }
  bool local_only() const noexcept { return local_; }

  // For data whose loss in a power failure is acceptable (a user's last
  // seen): the commit is acknowledged once the batch is in the WAL, with no
  // fsync of its own. It survives a process crash at once and a power loss
  // from the next synced group on.
  void relax_durability() noexcept { relaxed_ = true; }
  bool relaxed() const noexcept { return relaxed_; }

  // A write that may wait up to `d` for others to share its group, and
  // so its fsync (a cursor, whose receipt may come a little later, need
  // not cost an fsync of its own when a message is written soon after).
  // The group goes once any batch in it does not linger, or the first
  // one's time is up.
  void linger(std::chrono::milliseconds d) noexcept { linger_ = d; }
  std::chrono::milliseconds linger() const noexcept { return linger_; }

  // Fails the commit with errc::unavailable, unwritten, if the store has
  // stopped being writable since store_health::generation `g`: a writer
  // whose state (a next msg_id) was read before a failure must not write
  // after the recovery, where a later id could land after a lost one.
  void fence(std::uint64_t g) noexcept { fence_ = g; }
  const std::optional<std::uint64_t>& fence() const noexcept { return fence_; }

  bool empty() const noexcept { return ops_.empty(); }
  std::size_t size() const noexcept { return ops_.size(); }
  const std::vector<op>& ops() const noexcept { return ops_; }
  // The ops, moved out (the batch is empty after): for the writer, once
  // they are written.
  std::vector<op> release_ops() noexcept { return std::move(ops_); }
  // Writes the shard of each key (its first two bytes) for a store of
  // `shards` shards. store::commit calls it; nobody else needs to.
  // Precondition: valid_shard_count(shards).
  void assign_shards(std::uint32_t shards) noexcept;

  // The first invalid argument seen, or nullopt.
  const std::optional<std::string>& invalid() const noexcept {
    return invalid_;
  }

 private:
  bool check(std::string_view what, std::string_view id);
  // `key` begins with a placeholder shard; `shard_id` is the id that
  // places it.
  void put(column_family cf, std::string_view shard_id, std::string key,
           std::string value);
  void erase(column_family cf, std::string_view shard_id, std::string key);

  std::vector<op> ops_;
  std::optional<std::string> invalid_;
  bool relaxed_ = false;
  std::chrono::milliseconds linger_{0};
  bool local_ = false;
  std::optional<std::uint64_t> fence_;
};

}  // namespace switchboard::storage
