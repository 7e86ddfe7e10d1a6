#include "storage/store.hpp"

#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/listener.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>

#include <algorithm>
#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <future>
#include <limits>

#include "storage/keys.hpp"
#include "storage/store_env.hpp"
#include "storage/store_format.hpp"
#include "storage/store_impl.hpp"

namespace switchboard::storage {

namespace {

// Extracts a key's shard and first id (keys::prefix_size), so that prefix
// bloom filters and prefix iterators work per conversation or per user.
class shard_first_id_transform : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "switchboard.shard_first_id.2"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return {key.data(), keys::prefix_size(key.ToStringView())};
  }
  bool InDomain(const rocksdb::Slice& key) const override {
    return keys::prefix_size(key.ToStringView()) != 0;
  }
};

// The retired families (column_family.hpp) a data directory written by an
// earlier build still has. RocksDB opens all of a directory's families or
// none, so they are opened too, and then dropped.
std::vector<std::string> retired_families(const rocksdb::DBOptions& o,
                                          const std::string& path) {
  std::vector<std::string> names;
  // A directory not created yet has none (and ListColumnFamilies fails).
  if (!rocksdb::DB::ListColumnFamilies(o, path, &names).ok()) return {};
  std::vector<std::string> out;
  for (auto& n : names)
    if (std::find(retired_column_family_names.begin(),
                  retired_column_family_names.end(),
                  n) != retired_column_family_names.end())
      out.push_back(n);
  return out;
}

// Drops the families after the live ones in `handles` (the retired ones
// opened). A drop that fails is logged and tried again at the next open:
// nothing reads the family meanwhile.
void drop_retired(rocksdb::DB* db,
                  std::vector<rocksdb::ColumnFamilyHandle*>& handles,
                  const metrics::log_sink& log) {
  const std::size_t live = 1 + column_family_count;  // and "default"
  for (std::size_t i = live; i < handles.size(); ++i) {
    std::string name = handles[i]->GetName();
    auto s = db->DropColumnFamily(handles[i]);
    (void)db->DestroyColumnFamilyHandle(handles[i]);
    if (s.ok())
      metrics::emit(log, "warn", "store_family_dropped", {{"family", name}});
    else
      metrics::emit(log, "error", "store_family_drop_failed",
                    {{"family", name}, {"error", s.ToString()}});
  }
  if (handles.size() > live) handles.resize(live);
}

rocksdb::ColumnFamilyOptions cf_options(column_family cf) {
  rocksdb::ColumnFamilyOptions o;
  rocksdb::BlockBasedTableOptions t;
  t.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  if (cf != column_family::push_outbox) {
    o.prefix_extractor = std::make_shared<shard_first_id_transform>();
    // Messages are always read where they were just written, so a memtable
    // bloom filter would cost every append and save no read.
    if (cf != column_family::messages)
      o.memtable_prefix_bloom_size_ratio = 0.05;
    // Almost every send asks for an idempotency key that does not exist
    // (probe_idempotent): a bloom filter of whole keys answers that without
    // a skiplist search. The conversation prefix alone would not: every
    // key of an active conversation shares it.
    if (cf == column_family::idempotency) o.memtable_whole_key_filtering = true;
    // Each conversation's keys arrive in increasing order: remembering the
    // last insert position per prefix turns the memtable's skiplist search
    // into an append (measured: see docs/benchmarks.md, "Storage: group
    // commit").
    o.memtable_insert_with_hint_prefix_extractor = o.prefix_extractor;
    // Messages are read by range, never by whole key.
    t.whole_key_filtering = cf != column_family::messages;
  }
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  return o;
}

// RocksDB's background errors reach the log and the writer, and its own
// automatic recovery is turned off: the writer's recovery loop is the only
// one (a manual Resume() during an automatic one only gets Busy, and the
// automatic one for a full disk polls every few seconds).
class error_listener : public rocksdb::EventListener {
 public:
  // `log` is the store's; `writer` is set once the writer exists.
  error_listener(metrics::log_sink log,
                 std::shared_ptr<std::atomic<group_commit*>> writer)
      : log_(std::move(log)), writer_(std::move(writer)) {}
  const char* Name() const override { return "switchboard.error_listener"; }

  void OnBackgroundError(rocksdb::BackgroundErrorReason reason,
                         rocksdb::Status* bg_error) override {
    if (!bg_error || bg_error->ok()) return;
    auto why = bg_error->ToString();
    metrics::emit(log_, "error", "store_background_error",
                  {{"reason", reason_name(reason)}, {"error", why}});
    // A soft error (a failed compaction) leaves writes working.
    if (bg_error->severity() >= rocksdb::Status::Severity::kHardError ||
        bg_error->severity() == rocksdb::Status::Severity::kNoError) {
      if (auto* w = writer_->load())
        w->background_error(std::string(reason_name(reason)) + ": " + why);
    }
  }

  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason, rocksdb::Status,
                            bool* auto_recovery) override {
    if (auto_recovery) *auto_recovery = false;
  }

 private:
  static const char* reason_name(rocksdb::BackgroundErrorReason r) {
    switch (r) {
      case rocksdb::BackgroundErrorReason::kFlush:
        return "flush";
      case rocksdb::BackgroundErrorReason::kCompaction:
        return "compaction";
      case rocksdb::BackgroundErrorReason::kWriteCallback:
        return "write";
      case rocksdb::BackgroundErrorReason::kMemTable:
        return "memtable";
      case rocksdb::BackgroundErrorReason::kManifestWrite:
        return "manifest_write";
      case rocksdb::BackgroundErrorReason::kFlushNoWAL:
        return "flush";
      case rocksdb::BackgroundErrorReason::kManifestWriteNoWAL:
        return "manifest_write";
    }
    return "unknown";
  }

  metrics::log_sink log_;
  std::shared_ptr<std::atomic<group_commit*>> writer_;
};

// RocksDB's own log ("info log") as lines of the node's log, warnings and
// worse only. Not a LOG file in the data directory: on a full disk RocksDB
// 7.8's file logger appends again after a failed append and aborts on its
// own assertion (WritableFileWriter, sync_without_flush_called_).
class rocksdb_log : public rocksdb::Logger {
 public:
  explicit rocksdb_log(metrics::log_sink log)
      : Logger(rocksdb::InfoLogLevel::WARN_LEVEL), log_(std::move(log)) {}

  void Logv(const char* format, va_list ap) override {
    Logv(rocksdb::InfoLogLevel::WARN_LEVEL, format, ap);
  }
  void Logv(const rocksdb::InfoLogLevel level, const char* format,
            va_list ap) override {
    if (level < GetInfoLogLevel() || !log_) return;
    char buf[1024];
    std::vsnprintf(buf, sizeof buf, format, ap);
    metrics::emit(
        log_, level >= rocksdb::InfoLogLevel::ERROR_LEVEL ? "error" : "warn",
        "rocksdb", {{"message", buf}});
  }

 private:
  metrics::log_sink log_;
};

}  // namespace

struct store_opener {
  static result<std::unique_ptr<store>> open(const store_options& options,
                                             rocksdb::Env* env);
};

result<std::unique_ptr<store>> open_store_on(const store_options& options,
                                             rocksdb::Env* env) {
  return store_opener::open(options, env);
}

result<std::unique_ptr<store>> store::open(const store_options& options) {
  return store_opener::open(options, nullptr);
}

result<std::unique_ptr<store>> store_opener::open(const store_options& options,
                                                  rocksdb::Env* env) {
  auto p = std::make_unique<store::impl>();
  p->options = options;

  rocksdb::DBOptions db_opts;
  if (env) db_opts.env = env;
  auto writer_slot = std::make_shared<std::atomic<group_commit*>>(nullptr);
  db_opts.listeners.push_back(
      std::make_shared<error_listener>(options.log, writer_slot));
  db_opts.info_log = std::make_shared<rocksdb_log>(options.log);
  db_opts.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  db_opts.create_if_missing = true;
  db_opts.create_missing_column_families = true;
  // Sockets need the process's descriptors (app/descriptors.hpp).
  db_opts.max_open_files = static_cast<int>(store_max_open_files);
  db_opts.keep_log_file_num = 5;
  db_opts.IncreaseParallelism(2);

  std::vector<rocksdb::ColumnFamilyDescriptor> descs;
  descs.emplace_back(rocksdb::kDefaultColumnFamilyName,
                     rocksdb::ColumnFamilyOptions());
  for (std::size_t i = 0; i < column_family_count; ++i)
    descs.emplace_back(std::string(column_family_names[i]),
                       cf_options(static_cast<column_family>(i)));
  for (auto& name : retired_families(db_opts, options.path))
    descs.emplace_back(name, rocksdb::ColumnFamilyOptions());

  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(db_opts, options.path, descs, &p->handles, &raw);
  if (!s.ok()) return error{errc::open_failed, s.ToString()};
  p->db.reset(raw);
  // The live families only (the retired ones come after them).
  p->cfs.assign(p->handles.begin() + 1,
                p->handles.begin() + 1 + column_family_count);

  auto shards =
      prepare_format(p->db.get(), p->cfs, options.shards, options.log);
  if (!shards) return shards.err();
  p->shards = *shards;
  // Dropped once this build knows it reads the directory: one it refuses
  // is left as it was.
  drop_retired(p->db.get(), p->handles, options.log);

  // The next push sequence number is above the last of every shard.
  auto it = p->iter(column_family::push_outbox, false);
  for (std::uint32_t sh = 0; sh < p->shards; ++sh) {
    auto r = keys::shard_range(column_family::push_outbox,
                               static_cast<std::uint16_t>(sh));
    if (r.end.empty())
      it->SeekToLast();
    else
      it->SeekForPrev(r.end);
    if (it->Valid() && it->key().ToStringView() >= r.begin &&
        (r.end.empty() || it->key().ToStringView() < r.end)) {
      std::uint64_t seq = read_be64(it->key().ToStringView().substr(2)) + 1;
      if (seq > p->next_push_seq) p->next_push_seq = seq;
    }
  }
  if (!it->status().ok()) return to_error(it->status());
  it.reset();

  writer_hooks hooks{options.on_commit, options.write_fault, options.on_health,
                     options.log};
  p->writer = std::make_unique<group_commit>(p->db.get(), p->cfs,
                                             options.durability, hooks);
  p->writer->keep_journal(std::max<std::uint64_t>(options.journal_groups, 1));
  writer_slot->store(p->writer.get());
  return std::unique_ptr<store>(new store(std::move(p)));
}

store::store(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
store::~store() = default;

void store::commit(batch b, completion done) {
  b.assign_shards(impl_->shards);
  impl_->writer->submit(std::move(b), std::move(done));
}

status store::commit_and_wait(batch b, std::chrono::milliseconds deadline) {
  // The promise is shared with the completion: set_value may still be
  // finishing on the writer thread when get() returns here, or run long
  // after a wait that gave up.
  auto promise = std::make_shared<std::promise<status>>();
  auto fut = promise->get_future();
  commit(std::move(b), [promise](const status& st) { promise->set_value(st); });
  if (fut.wait_for(deadline) != std::future_status::ready)
    return error{errc::timed_out, "the write did not complete in " +
                                      std::to_string(deadline.count()) +
                                      " ms (it may still)"};
  return fut.get();
}

status store::checkpoint(const std::string& dir) {
  // Everything acknowledged so far is in the WAL; the checkpoint copies it.
  // The empty batch orders the checkpoint after pending commits. A store
  // that cannot write is not checkpointed: RocksDB would flush and sync a
  // WAL that may have failed.
  if (auto st = commit_and_wait(batch{}); !st)
    return error{errc::unavailable, "no checkpoint: " + st.err().message};
  rocksdb::Checkpoint* raw = nullptr;
  auto s = rocksdb::Checkpoint::Create(impl_->db.get(), &raw);
  if (!s.ok()) return to_error(s);
  std::unique_ptr<rocksdb::Checkpoint> cp(raw);
  s = cp->CreateCheckpoint(dir);
  if (!s.ok()) return error{errc::io_error, s.ToString()};
  return ok;
}

status store::compact() {
  rocksdb::CompactRangeOptions o;
  for (auto* cf : impl_->cfs) {
    auto s = impl_->db->CompactRange(o, cf, nullptr, nullptr);
    if (!s.ok()) return to_error(s);
  }
  return ok;
}

std::uint64_t store::disk_size() const {
  std::uint64_t total = 0;
  std::error_code ec;
  for (auto& e :
       std::filesystem::recursive_directory_iterator(impl_->options.path, ec))
    if (e.is_regular_file(ec)) total += e.file_size(ec);
  return total;
}

commit_stats store::stats() const { return impl_->writer->stats(); }

store_health store::health() const { return impl_->writer->health(); }

bool store::writable() const noexcept { return impl_->writer->writable(); }

std::uint32_t store::shards() const noexcept { return impl_->shards; }

}  // namespace switchboard::storage
