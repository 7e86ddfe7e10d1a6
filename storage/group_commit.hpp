#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "storage/batch.hpp"
#include "storage/result.hpp"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
}  // namespace rocksdb

namespace switchboard::storage {

// How a commit reaches the disk before it is acknowledged (DESIGN §2).
enum class durability {
  sync,   // WAL fsynced: survives a power loss
  async,  // WAL written, not fsynced: survives a process crash only
};

// Called once per submitted batch with the outcome of its write.
using completion = std::function<void(const status&)>;

struct commit_stats {
  std::uint64_t groups = 0;     // RocksDB writes issued
  std::uint64_t syncs = 0;      // WAL fsyncs (durability::sync)
  std::uint64_t batches = 0;    // batches submitted and written
  std::uint64_t max_group = 0;  // most batches in one write
  std::uint64_t write_ns = 0;   // time spent in RocksDB writes, in total
};

// The node's one writer (DESIGN §2). Any thread submits batches; a dedicated
// thread drains everything pending into one rocksdb::WriteBatch and writes
// it. There is no timer: a group is whatever waited during the previous
// write, so a lone write is not delayed. Completions run in submission order.
//
// With durability::sync the fsync is a second stage on a thread of its own:
// while group k's WAL is being synced (DBImpl::SyncWAL), group k+1 is
// already going into the memtable, so the CPU-bound and the disk-bound halves
// of a commit overlap. When nothing else waits (no batch queued, the sync
// stage idle) the writer syncs the group itself: there is nothing to
// overlap, and the hand-off would cost a thread wake-up. A group is
// acknowledged only once a sync that began
// after its write has finished. Its data is visible to readers a little
// before that: a reader that must not see undurable data (the conversation
// sequencer's history reads) caps what it returns at the acknowledged id.
//
// A group of relaxed batches only (batch::relax_durability) is not synced:
// it completes once written, or, to keep completions in order, with the
// groups still waiting for the sync stage.
//
// After a failed write every later batch fails with errc::io_error without
// being written: the WAL's state is unknown, and a later success could
// acknowledge msg_id n+1 when n was lost.
//
// Thread-safe. `db` and `cfs` must outlive this object.
class group_commit {
 public:
  // `on_commit`, when set, runs on the writer thread after each write;
  // `fault`, when set, before each (store_options::write_fault).
  group_commit(rocksdb::DB* db, std::vector<rocksdb::ColumnFamilyHandle*> cfs,
               durability d,
               std::function<void(std::size_t, std::uint64_t)> on_commit = {},
               std::function<std::string()> fault = {});
  ~group_commit();
  group_commit(const group_commit&) = delete;
  group_commit& operator=(const group_commit&) = delete;

  // Queues `b` for the next group. `done` runs on the writer thread, or on
  // the calling thread with errc::closed after stop() or with
  // errc::invalid_argument for an invalid batch.
  void submit(batch b, completion done);

  // Writes everything already submitted, then joins the writer thread.
  void stop();

  commit_stats stats() const;

 private:
  struct pending {
    batch b;
    completion done;
  };

  void run();
  void run_sync();
  bool sync_inline();
  bool sync_stage_idle();
  status sync_wal();
  status earlier_failure();  // the error of every batch after a failure
  status write_group(const std::vector<pending>& group);
  void fail(std::string why);
  static void complete(std::vector<pending>& group, const status& st);

  rocksdb::DB* db_;
  std::vector<rocksdb::ColumnFamilyHandle*> cfs_;
  durability durability_;
  std::function<void(std::size_t, std::uint64_t)> on_commit_;
  std::function<std::string()> fault_;

  mutable std::mutex mtx_;
  std::condition_variable cv_;
  std::vector<pending> queue_;
  bool stopping_ = false;

  // The sync stage (durability::sync only): written groups awaiting fsync.
  std::mutex sync_mtx_;
  std::condition_variable sync_cv_;
  std::vector<std::vector<pending>> to_sync_;
  bool writer_done_ = false;
  bool syncing_ = false;  // the sync thread is in SyncWAL

  std::mutex fail_mtx_;
  std::atomic<bool> failed_{false};
  std::string failure_;  // guarded by fail_mtx_

  std::atomic<std::uint64_t> groups_{0};
  std::atomic<std::uint64_t> syncs_{0};
  std::atomic<std::uint64_t> batches_{0};
  std::atomic<std::uint64_t> max_group_{0};
  std::atomic<std::uint64_t> write_ns_{0};

  // Last: they start after every other member exists.
  std::thread sync_thread_;
  std::thread thread_;
};

}  // namespace switchboard::storage
