#pragma once

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace switchboard::testing {

// A RocksDB file system for tests of storage faults, over the real one.
//
// Power loss: it records, for every file written through it, how many
// bytes were synced (Sync, Fsync); crash() makes every later write,
// rename and delete a no-op (and new files fail), as if the machine had
// stopped, so the store can be destroyed without its close flushing
// anything; restore() then truncates each file to what was synced, which
// is what a power loss leaves, and makes the file system work again. The
// model is stricter than many disks for data and kinder for metadata: a
// file's unsynced bytes are all lost, but its directory entry is kept.
//
// Failures: fail_wal(mode) makes WAL appends or syncs (files `*.log`)
// fail with NoSpace, as on a full disk, until set back to none.
//
// Thread-safe. Every store using it must be destroyed before it.
class fault_fs : public rocksdb::FileSystemWrapper {
 public:
  // append and sync fail with NoSpace (a full disk), append_eio with a
  // plain IOError (a failing disk).
  enum class wal_fault { none, append, sync, append_eio };

  fault_fs();
  const char* Name() const override { return "switchboard.fault_fs"; }

  // The Env to give the store (open_store_on).
  rocksdb::Env* env() { return env_.get(); }

  void crash() { dead_ = true; }
  // Truncates unsynced bytes; returns how many were dropped.
  std::uint64_t restore();
  void fail_wal(wal_fault f) { wal_fault_ = f; }
  // How many WAL appends and syncs failed by fail_wal.
  std::uint64_t injected() const { return injected_; }

  rocksdb::IOStatus NewWritableFile(const std::string& f,
                                    const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r,
                                    rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReopenWritableFile(
      const std::string& f, const rocksdb::FileOptions& o,
      std::unique_ptr<rocksdb::FSWritableFile>* r,
      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus RenameFile(const std::string& src, const std::string& dst,
                               const rocksdb::IOOptions& o,
                               rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus DeleteFile(const std::string& f,
                               const rocksdb::IOOptions& o,
                               rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus LinkFile(const std::string& src, const std::string& dst,
                             const rocksdb::IOOptions& o,
                             rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus Truncate(const std::string& f, size_t size,
                             const rocksdb::IOOptions& o,
                             rocksdb::IODebugContext* dbg) override;

  // Used by the files it hands out.
  struct file_state {
    std::uint64_t size = 0;    // bytes appended (including before us)
    std::uint64_t synced = 0;  // of which synced
  };
  bool dead() const { return dead_; }
  bool fail(wal_fault f, const std::string& path);
  void appended(const std::string& path, std::uint64_t n);
  void synced(const std::string& path);
  void truncated(const std::string& path, std::uint64_t size);

 private:
  rocksdb::IOStatus wrap(const std::string& f, std::uint64_t existing,
                         std::unique_ptr<rocksdb::FSWritableFile>* r);

  std::unique_ptr<rocksdb::Env> env_;
  std::atomic<bool> dead_{false};
  std::atomic<wal_fault> wal_fault_{wal_fault::none};
  std::atomic<std::uint64_t> injected_{0};
  std::mutex mtx_;
  std::map<std::string, file_state> files_;  // by path
};

}  // namespace switchboard::testing
