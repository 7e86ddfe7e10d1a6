#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "metrics/log_sink.hpp"
#include "storage/batch.hpp"
#include "storage/message_record.hpp"
#include "storage/records.hpp"
#include "storage/replication_sink.hpp"
#include "storage/result.hpp"
#include "storage/shard_journal.hpp"
#include "storage/store_types.hpp"

namespace switchboard::storage {

// The most files RocksDB keeps open (max_open_files): the node's budget of
// descriptors keeps these for the store before it gives any to sockets.
constexpr std::size_t store_max_open_files = 512;

struct store_options {
  std::string path;  // the data directory; created when missing
  storage::durability durability = storage::durability::sync;
  // Called on the writer thread after each group write with the number of
  // batches it held and the nanoseconds the write took (metrics).
  std::function<void(std::size_t batches, std::uint64_t write_ns)> on_commit{};
  // For tests of failure paths: called on the writer thread before each
  // group write and each recovery attempt; a non-empty reason fails that
  // write with errc::io_error and makes the store not writable, as any
  // failed write does, until a recovery attempt finds it empty again.
  std::function<std::string()> write_fault{};
  // Called when the store stops or starts being writable, or counts one
  // more failed write (see group_commit): metrics. Any thread; must not
  // block.
  std::function<void(const store_health&)> on_health{};
  // Where the store's own log lines go (failures, recovery, RocksDB's
  // background errors, errors on close). Any thread.
  metrics::log_sink log{};
  // The number of shards S of a new data directory (default_shards when
  // unset; storage/shard.hpp). An existing directory keeps the S it was
  // created with: asking for another fails the open.
  std::optional<std::uint32_t> shards{};
  // How many groups of each shard the journal keeps (shard_journal.hpp);
  // tests lower it.
  std::uint64_t journal_groups = storage::journal_groups;
};

// A page of one conversation's log.
struct page {
  std::vector<message> messages;
  bool has_more = false;  // more messages lie beyond this page
};

struct member_entry {
  std::string user_id;
  member_state state;
};

struct push_entry {
  std::uint64_t seq = 0;
  push_job job;
};

// A node's store: one RocksDB with a column family per kind of data
// (docs/ARCHITECTURE.md "storage/"). Reads are synchronous and block: call them
// from a thread made for I/O, never from a CAF scheduler or Asio thread. Writes
// go through commit(), the node's group commit.
//
// Thread-safe. No RocksDB type appears in this interface.
class store {
 public:
  // Opens or creates the store at options.path. A data directory of the
  // format before shards (no format marker) is migrated in place first,
  // with log lines saying so (storage/store_format.hpp).
  static result<std::unique_ptr<store>> open(const store_options& options);

  // Writes what is pending, flushes the memtables (so that the next open
  // replays no WAL) and closes the database.
  ~store();
  store(const store&) = delete;
  store& operator=(const store&) = delete;

  // --- writes ---

  // Queues `b` for the next group commit; `done` runs once it is durable,
  // on the store's writer thread (or, with a replication sink, on the
  // thread the sink completes it on), or at once on the calling thread
  // for an invalid batch or a closed store: it must not block.
  void commit(batch b, completion done);
  // commit() and wait for the outcome, at most `deadline`: then
  // errc::timed_out (the write may still complete). For tests, tools,
  // start-up and the cluster's steps on a thread of their own.
  static constexpr std::chrono::milliseconds default_wait{30000};
  status commit_and_wait(batch b,
                         std::chrono::milliseconds deadline = default_wait);
  // Every group written from now on goes through `sink` (null: none;
  // storage/replication_sink.hpp says what it is asked and when).
  void set_replication(replication_sink* sink) noexcept;

  // --- replication (docs/ARCHITECTURE.md "cluster/") ---

  // The replication position of every shard that has one, by shard.
  result<std::vector<std::pair<std::uint16_t, shard_position>>> positions()
      const;

  // --- a conversation's log ---
  // These reads see every write RocksDB has applied, including a group
  // whose WAL sync (durability::sync) has not finished, so not yet
  // acknowledged. A caller that must show only acknowledged messages caps
  // the result at the last msg_id it saw acknowledged.

  // The highest msg_id written to `conv`, 0 for an empty log.
  result<std::uint64_t> last_msg_id(std::string_view conv) const;
  // Messages with msg_id > after, oldest first, at most `limit`.
  result<page> read_after(std::string_view conv, std::uint64_t after,
                          std::size_t limit) const;
  // Messages with msg_id < before, newest first, at most `limit`.
  result<page> read_before(std::string_view conv, std::uint64_t before,
                           std::size_t limit) const;
  // The newest messages, newest first, at most `limit`.
  result<page> read_newest(std::string_view conv, std::size_t limit) const;
  // How many messages with msg_id > after were sent by someone other than
  // `user`: the unread count of a member whose read cursor is `after`.
  // At most `max_scan` messages are read; every message past those counts,
  // whoever sent it (so the work of a request stays bounded however far
  // behind the reader is).
  result<std::uint64_t> count_from_others(
      std::string_view conv, std::uint64_t after, std::string_view user,
      std::uint64_t max_scan = std::numeric_limits<std::uint64_t>::max()) const;
  // What a retried send is answered with: the msg_id stored for (conv,
  // sender, client_msg_id) and its message's timestamp, in one read.
  // Values written before the timestamp was kept (8 bytes) have none: the
  // message itself says it then.
  struct idempotent_hit {
    std::uint64_t msg_id = 0;
    std::optional<std::int64_t> ts_ms;
  };
  result<std::optional<idempotent_hit>> find_idempotent(
      std::string_view conv, std::string_view sender,
      std::string_view client_msg_id) const;

  enum class probe {
    absent,   // no such key: certain
    present,  // the key exists: find_idempotent has its msg_id
    unknown,  // telling needs a disk read, or the read failed
  };
  // Whether find_idempotent would find the key, answered from memory only
  // (RocksDB's memtables and the filters and blocks it holds): it never
  // reads the disk, so unlike every other read here it may run on any
  // thread. Sees what find_idempotent sees, no more.
  probe probe_idempotent(std::string_view conv, std::string_view sender,
                         std::string_view client_msg_id) const;

  // --- conversations and members ---

  result<std::optional<conversation_meta>> conversation(
      std::string_view conv) const;
  // How many of `convs` have messages past `user`'s read cursor (a push's
  // badge): conversations the user is not a member of count none.
  result<std::uint32_t> unread_among(
      const std::string& user, const std::vector<std::string>& convs) const;
  result<std::optional<member_state>> member(std::string_view conv,
                                             std::string_view user) const;
  // Every member of `conv`, ordered by user id.
  result<std::vector<member_entry>> members(std::string_view conv) const;
  // Every conversation of `user`, ordered by conv id.
  result<std::vector<std::string>> inbox(std::string_view user) const;
  // At most `limit` conversations of `user` with ids after `after` (all
  // when `after` is empty), ordered by conv id: a seek, not a scan.
  result<std::vector<std::string>> inbox_page(std::string_view user,
                                              std::string_view after,
                                              std::size_t limit) const;

  // --- users ---

  result<std::vector<device>> devices(std::string_view user) const;
  result<std::optional<std::int64_t>> last_seen(std::string_view user) const;
  // Every revocation (batch::put_revocation): user and seconds.
  result<std::vector<std::pair<std::string, std::int64_t>>> revocations() const;

  // --- push outbox ---

  // The oldest `limit` jobs, oldest first. A job lives in its user's
  // shard, so this reads the first `limit` of every shard and merges them.
  result<std::vector<push_entry>> push_jobs(std::size_t limit) const;
  // A sequence number for a new job, above every stored one.
  std::uint64_t next_push_seq();

  // Conversation ids starting with `prefix`, in id order, at most `limit`.
  // One seek per shard (S seeks, each reading at most `limit` keys of the
  // shard's range), then a merge: a conversation's shard cannot be known
  // from a prefix of its id.
  result<std::vector<std::string>> conversations(std::string_view prefix,
                                                 std::size_t limit) const;

  // --- maintenance (blocking; run off the Asio and CAF threads) ---

  // One page of the keys of `shard` in `cf`, in key order, after `after`
  // (exclusive; empty: from the shard's first key), about `max_bytes` of
  // keys and values (one key at least): what a shard's move copies to its
  // new owner (batch::put_raw there).
  struct shard_page {
    std::vector<std::pair<std::string, std::string>> kvs;
    bool more = false;  // the shard has keys after the last one
  };
  // A consistent view of the whole store as of the moment it was taken,
  // for reads while writes go on (a replica's catch-up copies a shard from
  // one, docs/cluster.md "Replicas, in-sync copies and failover"). Its data and
  // each shard's position (column_family::shard_log) are of the same moment,
  // since a group writes both in one RocksDB write. Released when the last
  // holder drops it; it must not outlive the store.
  class snapshot;
  std::shared_ptr<const snapshot> take_snapshot() const;
  // `at`: read from that snapshot (null: the store as it is now).
  result<shard_page> read_shard(std::uint16_t shard, column_family cf,
                                std::string_view after, std::size_t max_bytes,
                                const snapshot* at = nullptr) const;

  // --- a shard's journal (storage/shard_journal.hpp): reconciling copies ---
  // The position of `shard` and what its journal holds.
  struct shard_log_view {
    shard_position at{};
    journal_summary journal;
    // Whether the journal reaches the position: its last group is the
    // position's (a shard written before the journal existed has none).
    bool consistent() const;
  };
  result<shard_log_view> shard_log_of(std::uint16_t shard,
                                      const snapshot* at = nullptr) const;
  // The keys that the journal's groups of `shard` after seq `after` wrote,
  // sorted, each once. errc::invalid_argument when the journal lacks one
  // of those groups, or one of them deleted a range it does not list.
  result<std::vector<journal_ref>> journal_keys_after(
      std::uint16_t shard, std::uint64_t after,
      const snapshot* at = nullptr) const;
  // What brings a copy of `shard` whose log equals this store's up to seq
  // `common`, and whose groups after it wrote `theirs`, to this store's
  // position: the current value (or absence) of every key either side
  // wrote after `common`, this store's journal after it, and the
  // position, as raw writes (batch::add_raw) to apply in one write, the
  // position last. errc::invalid_argument when the journal cannot tell
  // (journal_keys_after), or the writes would pass `max_bytes`.
  struct shard_patch {
    shard_position at{};
    std::vector<batch::op> ops;
    std::size_t keys = 0;  // data keys written or erased
    std::size_t bytes = 0;
  };
  result<shard_patch> patch_after(std::uint16_t shard, std::uint64_t common,
                                  const std::vector<journal_ref>& theirs,
                                  std::size_t max_bytes,
                                  const snapshot* at = nullptr) const;

  // A consistent point-in-time copy of the store in `dir` (which must not
  // exist), usable as a data directory: hard links where it can.
  // errc::unavailable while the store cannot write.
  status checkpoint(const std::string& dir);
  // Compacts every column family.
  status compact();
  // Bytes the store's files take on disk.
  std::uint64_t disk_size() const;

  commit_stats stats() const;
  // Whether writes are taken now, and if not why (cheap; any thread).
  store_health health() const;
  // health().writable, cheaply enough for every send.
  bool writable() const noexcept;
  // The number of shards S this data directory was created with.
  std::uint32_t shards() const noexcept;

 private:
  friend struct store_opener;  // store.cpp and store_env.hpp
  struct impl;
  explicit store(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace switchboard::storage
