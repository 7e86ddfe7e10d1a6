#include "storage/group_commit.hpp"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <chrono>

namespace switchboard::storage {

group_commit::group_commit(
    rocksdb::DB* db, std::vector<rocksdb::ColumnFamilyHandle*> cfs,
    durability d, std::function<void(std::size_t, std::uint64_t)> on_commit,
    std::function<std::string()> fault)
    : db_(db),
      cfs_(std::move(cfs)),
      durability_(d),
      on_commit_(std::move(on_commit)),
      fault_(std::move(fault)) {
  if (durability_ == durability::sync)
    sync_thread_ = std::thread([this] { run_sync(); });
  thread_ = std::thread([this] { run(); });
}

group_commit::~group_commit() { stop(); }

void group_commit::submit(batch b, completion done) {
  if (b.invalid()) {
    done(error{errc::invalid_argument, *b.invalid()});
    return;
  }
  std::unique_lock<std::mutex> lock(mtx_);
  if (stopping_) {
    lock.unlock();
    done(error{errc::closed, "the store is closing"});
    return;
  }
  bool was_empty = queue_.empty();
  queue_.push_back(pending{std::move(b), std::move(done)});
  lock.unlock();
  if (was_empty) cv_.notify_one();
}

void group_commit::stop() {
  {
    std::lock_guard<std::mutex> lock(mtx_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
  if (sync_thread_.joinable()) sync_thread_.join();
}

commit_stats group_commit::stats() const {
  return commit_stats{groups_.load(), syncs_.load(), batches_.load(),
                      max_group_.load(), write_ns_.load()};
}

void group_commit::complete(std::vector<pending>& group, const status& st) {
  for (auto& p : group) p.done(st);
  group.clear();
}

status group_commit::earlier_failure() {
  std::lock_guard<std::mutex> lock(fail_mtx_);
  return error{errc::io_error, "an earlier write failed: " + failure_};
}

void group_commit::fail(std::string why) {
  std::lock_guard<std::mutex> lock(fail_mtx_);
  if (!failed_) failure_ = std::move(why);
  failed_ = true;
}

void group_commit::run() {
  std::vector<pending> group;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mtx_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) break;  // stopping, and nothing left to write
      group.swap(queue_);
    }
    status st = write_group(group);
    if (durability_ == durability::async || !st) {
      // A failed write is reported at once; the sync stage fails the
      // groups before it on its own, since failed_ is now set.
      complete(group, st);
      continue;
    }
    bool relaxed = std::all_of(group.begin(), group.end(),
                               [](const pending& p) { return p.b.relaxed(); });
    if (relaxed && sync_stage_idle()) {
      complete(group, st);
      continue;
    }
    if (sync_inline()) {
      complete(group, sync_wal());
      continue;
    }
    {
      std::lock_guard<std::mutex> lock(sync_mtx_);
      to_sync_.push_back(std::move(group));
    }
    sync_cv_.notify_one();
    group = std::vector<pending>();
  }
  std::lock_guard<std::mutex> lock(sync_mtx_);
  writer_done_ = true;
  sync_cv_.notify_one();
}

// With nothing waiting to be written and the sync stage idle, handing the
// group to the sync thread buys no overlap and costs a thread wake-up on
// the path of every acknowledgement: the writer syncs it itself. Groups
// before it are all complete (the sync stage is idle), so completions stay
// in submission order; a batch submitted meanwhile waits for this sync.
bool group_commit::sync_inline() {
  {
    std::lock_guard<std::mutex> lock(mtx_);
    if (!queue_.empty()) return false;
  }
  return sync_stage_idle();
}

// Every group handed to the sync stage is complete.
bool group_commit::sync_stage_idle() {
  std::lock_guard<std::mutex> lock(sync_mtx_);
  return to_sync_.empty() && !syncing_;
}

status group_commit::sync_wal() {
  if (failed_) return earlier_failure();
  syncs_.fetch_add(1, std::memory_order_relaxed);
  rocksdb::Status s = db_->SyncWAL();
  if (!s.ok()) {
    fail(s.ToString());
    return error{errc::io_error, s.ToString()};
  }
  return ok;
}

void group_commit::run_sync() {
  std::vector<std::vector<pending>> groups;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(sync_mtx_);
      sync_cv_.wait(lock, [this] { return writer_done_ || !to_sync_.empty(); });
      if (to_sync_.empty()) return;  // the writer is done and all is synced
      groups.swap(to_sync_);
      syncing_ = true;
    }
    // Every group taken above was written before this sync began.
    status st = sync_wal();
    for (auto& g : groups) complete(g, st);
    groups.clear();
    std::lock_guard<std::mutex> lock(sync_mtx_);
    syncing_ = false;
  }
}

status group_commit::write_group(const std::vector<pending>& group) {
  if (failed_) return earlier_failure();
  if (fault_) {
    if (auto why = fault_(); !why.empty()) {
      fail(why);
      return error{errc::io_error, why};
    }
  }
  rocksdb::WriteBatch wb;
  for (const auto& p : group) {
    for (const auto& o : p.b.ops()) {
      auto* cf = cfs_[static_cast<std::size_t>(o.cf)];
      rocksdb::Status s =
          o.value ? wb.Put(cf, o.key, *o.value) : wb.Delete(cf, o.key);
      if (!s.ok()) return error{errc::invalid_argument, s.ToString()};
    }
  }
  rocksdb::WriteOptions opts;  // not synced here: see run_sync()
  auto start = std::chrono::steady_clock::now();
  rocksdb::Status s = db_->Write(opts, &wb);
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                std::chrono::steady_clock::now() - start)
                .count();
  groups_.fetch_add(1, std::memory_order_relaxed);
  if (on_commit_) on_commit_(group.size(), static_cast<std::uint64_t>(ns));
  write_ns_.fetch_add(static_cast<std::uint64_t>(ns),
                      std::memory_order_relaxed);
  if (!s.ok()) {
    fail(s.ToString());
    return error{errc::io_error, s.ToString()};
  }
  batches_.fetch_add(group.size(), std::memory_order_relaxed);
  if (group.size() > max_group_.load(std::memory_order_relaxed))
    max_group_.store(group.size(), std::memory_order_relaxed);
  return ok;
}

}  // namespace switchboard::storage
