#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "metrics/log_sink.hpp"
#include "storage/batch.hpp"
#include "storage/replication_sink.hpp"
#include "storage/result.hpp"
#include "storage/shard_journal.hpp"
#include "storage/store_types.hpp"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
}  // namespace rocksdb

namespace switchboard::storage {

// What the writer reports to, and how tests break it. Every function runs
// on the writer thread unless said otherwise; each may be empty.
struct writer_hooks {
  // After each group write: the number of batches and the nanoseconds.
  std::function<void(std::size_t, std::uint64_t)> on_commit;
  // Before each group write and each recovery attempt: a non-empty reason
  // fails the write, or the attempt (store_options::write_fault).
  std::function<std::string()> fault;
  // When the store stops or starts being writable, or counts a failed
  // write (on the thread that saw it: the writer, or a RocksDB background
  // thread).
  std::function<void(const store_health&)> on_health;
  metrics::log_sink log;
};

// The node's one writer (docs/ARCHITECTURE.md "storage/"). Any thread submits
// batches; a dedicated thread drains everything pending into one
// rocksdb::WriteBatch, writes it, and with durability::sync fsyncs the WAL
// (DBImpl::SyncWAL) before it completes the group's batches, in submission
// order. There is no timer: a group is whatever waited during the previous
// write, so a lone write is not delayed, except a lingering one
// (batch::linger), which waits up to its time for a write that does not linger,
// to share its group.
//
// The fsync is not overlapped with the next group's write: RocksDB 7.8
// (Debian's build keeps its assertions) aborts in WritableFileWriter when
// SyncWAL runs on a WAL whose append has failed, and a concurrent append
// can fail at any moment; only one thread calling both rules that out.
//
// A group of relaxed batches only (batch::relax_durability) is not synced.
// A fenced batch (batch::fence) older than the last failure is refused.
//
// Failures: a failed write or sync fails its group with errc::io_error and
// makes the store not writable (store_health, one log line): no RocksDB
// write or sync is issued until DB::Resume() has succeeded, because the
// WAL's state is unknown and a later success could acknowledge msg_id n+1
// when n was lost. Batches submitted meanwhile fail at once with
// errc::unavailable. The writer tries Resume() with a growing delay (50 ms
// to 1 s); once it succeeds the store is writable again (a log line) and
// batches are written as before. RocksDB's own automatic recovery is turned
// off (store.cpp), so that this loop is the only one.
//
// Thread-safe. `db` and `cfs` must outlive this object.
class group_commit {
 public:
  group_commit(rocksdb::DB* db, std::vector<rocksdb::ColumnFamilyHandle*> cfs,
               durability d, writer_hooks hooks = {});
  ~group_commit();
  group_commit(const group_commit&) = delete;
  group_commit& operator=(const group_commit&) = delete;

  // How many groups of each shard the journal keeps (shard_journal.hpp);
  // set before the first submit.
  void keep_journal(std::uint64_t groups) noexcept { journal_groups_ = groups; }

  // Queues `b` for the next group. `done` runs on the writer thread, or on
  // the calling thread with errc::closed after stop() or with
  // errc::invalid_argument for an invalid batch.
  void submit(batch b, completion done);

  // Writes everything already submitted, then joins the writer thread.
  void stop();

  // RocksDB stopped taking writes on its own (a background flush or
  // compaction failed, reported by its listener): the writer recovers as
  // after a failed write. Any thread; never blocks on RocksDB.
  void background_error(const std::string& why);

  // Hands every group written from now on to `sink` (null: none). Returns
  // once no group is being written with the previous one, so a sink may go
  // after it was replaced by null. Not from the writer thread.
  void set_sink(replication_sink* sink);

  store_health health() const;
  // health().writable without the copy: one atomic load.
  bool writable() const noexcept {
    return writable_.load(std::memory_order_acquire);
  }
  commit_stats stats() const;

 private:
  struct pending {
    batch b;
    completion done;
    std::chrono::steady_clock::time_point due{};  // written by then
  };
  using clock = std::chrono::steady_clock;

  void run();
  void write_fenced(std::vector<pending>& group, std::uint64_t generation,
                    replication_sink* sink);
  status write_group(const std::vector<pending>& group,
                     const std::vector<shard_append>& appends);
  // The sink's appends of `group`, one per shard this node leads that the
  // group writes to, with its step; their journal entries are added
  // before the write (journal_appends), their data after it
  // (fill_appends).
  // `refused[i]`: batch i writes to a shard this node does not lead.
  static std::vector<shard_append> appends_of(const std::vector<pending>& group,
                                              replication_sink& sink,
                                              std::vector<bool>& refused);
  // After the write: moves the written batches' ops into their shard's
  // append, each ending with its position's put.
  // Each append's journal entry (storage/shard_journal.hpp) and the trim
  // of the oldest, as its first ops: written with the group, and sent
  // with it to the followers.
  void journal_appends(const std::vector<pending>& group,
                       std::vector<shard_append>& appends) const;
  static void fill_appends(std::vector<pending>& group,
                           std::vector<shard_append>& appends);
  status sync_wal();
  // Marks the store not writable; `rocksdb_failed`: the failure came from
  // a RocksDB call, so its WAL may be poisoned.
  void fail(const std::string& why, bool rocksdb_failed);
  bool wal_cannot_be_retired();
  void try_recover();
  void report(const store_health& h, bool writable);
  static void complete(std::vector<pending>& group, const status& st);

  rocksdb::DB* db_;
  std::vector<rocksdb::ColumnFamilyHandle*> cfs_;
  durability durability_;
  std::uint64_t journal_groups_ = storage::journal_groups;
  writer_hooks hooks_;

  mutable std::mutex mtx_;
  std::condition_variable cv_;
  std::vector<pending> queue_;
  bool stopping_ = false;
  store_health health_;               // guarded by mtx_
  std::atomic<bool> writable_{true};  // health_.writable, for readers
  replication_sink* sink_ = nullptr;  // guarded by mtx_
  bool writing_ = false;              // a group is out of the queue
  std::condition_variable written_cv_;
  // Recovery (writer thread only, while not writable).
  clock::time_point next_attempt_{};
  std::chrono::milliseconds backoff_{0};

  std::atomic<std::uint64_t> groups_{0};
  std::atomic<std::uint64_t> syncs_{0};
  std::atomic<std::uint64_t> batches_{0};
  std::atomic<std::uint64_t> max_group_{0};
  std::atomic<std::uint64_t> write_ns_{0};

  std::thread thread_;  // last: it starts after every other member exists
};

}  // namespace switchboard::storage
