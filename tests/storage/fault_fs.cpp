#include "tests/storage/fault_fs.hpp"

#include <unistd.h>

#include <filesystem>

namespace switchboard::testing {

namespace {

using rocksdb::IODebugContext;
using rocksdb::IOOptions;
using rocksdb::IOStatus;
using rocksdb::Slice;

bool is_wal(const std::string& path) {
  return path.size() > 4 && path.compare(path.size() - 4, 4, ".log") == 0;
}

// A file that reports its appends and syncs to the fault_fs.
class tracked_file : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  tracked_file(std::unique_ptr<rocksdb::FSWritableFile> t, fault_fs* fs,
               std::string path)
      : FSWritableFileOwnerWrapper(std::move(t)),
        fs_(fs),
        path_(std::move(path)) {}

  IOStatus Append(const Slice& d, const IOOptions& o,
                  IODebugContext* dbg) override {
    if (fs_->dead()) return IOStatus::OK();  // lost with the machine
    if (fs_->fail(fault_fs::wal_fault::append, path_))
      return IOStatus::NoSpace("injected: no space left on device");
    if (fs_->fail(fault_fs::wal_fault::append_eio, path_))
      return IOStatus::IOError("injected: input/output error");
    auto s = target()->Append(d, o, dbg);
    if (s.ok()) fs_->appended(path_, d.size());
    return s;
  }
  IOStatus Append(const Slice& d, const IOOptions& o,
                  const rocksdb::DataVerificationInfo&,
                  IODebugContext* dbg) override {
    return Append(d, o, dbg);
  }
  IOStatus PositionedAppend(const Slice& d, std::uint64_t, const IOOptions& o,
                            IODebugContext* dbg) override {
    return Append(d, o, dbg);  // RocksDB positions only with direct I/O
  }
  IOStatus PositionedAppend(const Slice& d, std::uint64_t off,
                            const IOOptions& o,
                            const rocksdb::DataVerificationInfo&,
                            IODebugContext* dbg) override {
    return PositionedAppend(d, off, o, dbg);
  }
  IOStatus Truncate(std::uint64_t size, const IOOptions& o,
                    IODebugContext* dbg) override {
    if (fs_->dead()) return IOStatus::OK();
    auto s = target()->Truncate(size, o, dbg);
    if (s.ok()) fs_->truncated(path_, size);
    return s;
  }
  IOStatus Sync(const IOOptions& o, IODebugContext* dbg) override {
    return sync([&] { return target()->Sync(o, dbg); });
  }
  IOStatus Fsync(const IOOptions& o, IODebugContext* dbg) override {
    return sync([&] { return target()->Fsync(o, dbg); });
  }
  IOStatus RangeSync(std::uint64_t, std::uint64_t, const IOOptions&,
                     IODebugContext*) override {
    return IOStatus::OK();  // a partial sync: counted as none
  }

 private:
  template <class Fn>
  IOStatus sync(Fn fn) {
    if (fs_->dead()) return IOStatus::OK();
    if (fs_->fail(fault_fs::wal_fault::sync, path_))
      return IOStatus::NoSpace("injected: no space left on device");
    auto s = fn();
    if (s.ok()) fs_->synced(path_);
    return s;
  }

  fault_fs* fs_;
  std::string path_;
};

}  // namespace

fault_fs::fault_fs() : FileSystemWrapper(rocksdb::FileSystem::Default()) {
  // The Env borrows this file system; it lives as long as this object.
  env_ = rocksdb::NewCompositeEnv(
      std::shared_ptr<rocksdb::FileSystem>(this, [](rocksdb::FileSystem*) {}));
}

bool fault_fs::fail(wal_fault f, const std::string& path) {
  if (wal_fault_ != f || !is_wal(path)) return false;
  ++injected_;
  return true;
}

void fault_fs::appended(const std::string& path, std::uint64_t n) {
  std::lock_guard<std::mutex> lock(mtx_);
  files_[path].size += n;
}

void fault_fs::synced(const std::string& path) {
  std::lock_guard<std::mutex> lock(mtx_);
  auto& f = files_[path];
  f.synced = f.size;
}

void fault_fs::truncated(const std::string& path, std::uint64_t size) {
  std::lock_guard<std::mutex> lock(mtx_);
  auto& f = files_[path];
  f.size = size;
  f.synced = std::min(f.synced, size);
}

IOStatus fault_fs::wrap(const std::string& f, std::uint64_t existing,
                        std::unique_ptr<rocksdb::FSWritableFile>* r) {
  {
    std::lock_guard<std::mutex> lock(mtx_);
    files_[f] = file_state{existing, existing};
  }
  *r = std::make_unique<tracked_file>(std::move(*r), this, f);
  return IOStatus::OK();
}

IOStatus fault_fs::NewWritableFile(const std::string& f,
                                   const rocksdb::FileOptions& o,
                                   std::unique_ptr<rocksdb::FSWritableFile>* r,
                                   IODebugContext* dbg) {
  if (dead_) return IOStatus::IOError("the machine is off");
  auto s = target()->NewWritableFile(f, o, r, dbg);
  if (!s.ok()) return s;
  return wrap(f, 0, r);
}

IOStatus fault_fs::ReopenWritableFile(
    const std::string& f, const rocksdb::FileOptions& o,
    std::unique_ptr<rocksdb::FSWritableFile>* r, IODebugContext* dbg) {
  if (dead_) return IOStatus::IOError("the machine is off");
  std::error_code ec;
  auto existing = std::filesystem::file_size(f, ec);
  auto s = target()->ReopenWritableFile(f, o, r, dbg);
  if (!s.ok()) return s;
  return wrap(f, ec ? 0 : existing, r);
}

IOStatus fault_fs::RenameFile(const std::string& src, const std::string& dst,
                              const IOOptions& o, IODebugContext* dbg) {
  if (dead_) return IOStatus::OK();
  auto s = target()->RenameFile(src, dst, o, dbg);
  if (s.ok()) {
    std::lock_guard<std::mutex> lock(mtx_);
    if (auto it = files_.find(src); it != files_.end()) {
      files_[dst] = it->second;
      files_.erase(src);
    } else {
      files_.erase(dst);
    }
  }
  return s;
}

IOStatus fault_fs::DeleteFile(const std::string& f, const IOOptions& o,
                              IODebugContext* dbg) {
  if (dead_) return IOStatus::OK();
  auto s = target()->DeleteFile(f, o, dbg);
  std::lock_guard<std::mutex> lock(mtx_);
  files_.erase(f);
  return s;
}

IOStatus fault_fs::LinkFile(const std::string& src, const std::string& dst,
                            const IOOptions& o, IODebugContext* dbg) {
  if (dead_) return IOStatus::OK();
  return target()->LinkFile(src, dst, o, dbg);
}

IOStatus fault_fs::Truncate(const std::string& f, size_t size,
                            const IOOptions& o, IODebugContext* dbg) {
  if (dead_) return IOStatus::OK();
  auto s = target()->Truncate(f, size, o, dbg);
  if (s.ok()) truncated(f, size);
  return s;
}

std::uint64_t fault_fs::restore() {
  std::lock_guard<std::mutex> lock(mtx_);
  std::uint64_t dropped = 0;
  for (auto& [path, st] : files_) {
    std::error_code ec;
    auto now = std::filesystem::file_size(path, ec);
    if (ec || now <= st.synced) continue;
    dropped += now - st.synced;
    std::filesystem::resize_file(path, st.synced, ec);
  }
  files_.clear();  // what is left is on disk, as good as synced
  dead_ = false;
  return dropped;
}

}  // namespace switchboard::testing
