#include "storage/group_commit.hpp"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>

namespace switchboard::storage {

namespace {

constexpr std::chrono::milliseconds first_backoff{50};
constexpr std::chrono::milliseconds max_backoff{1000};

}  // namespace

group_commit::group_commit(rocksdb::DB* db,
                           std::vector<rocksdb::ColumnFamilyHandle*> cfs,
                           durability d, writer_hooks hooks)
    : db_(db), cfs_(std::move(cfs)), durability_(d), hooks_(std::move(hooks)) {
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
}

store_health group_commit::health() const {
  std::lock_guard<std::mutex> lock(mtx_);
  return health_;
}

commit_stats group_commit::stats() const {
  return commit_stats{groups_.load(), syncs_.load(), batches_.load(),
                      max_group_.load(), write_ns_.load()};
}

void group_commit::complete(std::vector<pending>& group, const status& st) {
  for (auto& p : group) p.done(st);
  group.clear();
}

void group_commit::run() {
  std::vector<pending> group;
  for (;;) {
    bool writable = true;
    std::string why;
    bool attempt_due = false;
    std::uint64_t generation = 0;
    {
      std::unique_lock<std::mutex> lock(mtx_);
      if (health_.writable)
        cv_.wait(lock, [this] {
          return stopping_ || !queue_.empty() || !health_.writable;
        });
      else
        cv_.wait_until(lock, next_attempt_,
                       [this] { return stopping_ || !queue_.empty(); });
      group.swap(queue_);
      if (group.empty() && stopping_) break;
      writable = health_.writable;
      why = health_.reason;
      generation = health_.generation;
      attempt_due = !writable && clock::now() >= next_attempt_;
    }
    if (!writable) {
      // Nothing reaches RocksDB until Resume() has succeeded.
      complete(group, error{errc::unavailable, "the store is not writable: " +
                                                   why + "; retry later"});
      if (attempt_due) try_recover();
      continue;
    }
    write_fenced(group, generation);
  }
}

// Writes the batches of `group` whose fence the store has not passed, and
// completes every batch in submission order.
void group_commit::write_fenced(std::vector<pending>& group,
                                std::uint64_t generation) {
  auto stale = [generation](const pending& p) {
    return p.b.fence() && *p.b.fence() < generation;
  };
  // Nearly always none is stale: no copy, no allocation then.
  bool any_stale = std::any_of(group.begin(), group.end(), stale);
  std::vector<pending> fresh;
  std::vector<bool> was_stale;
  if (any_stale) {
    for (auto& p : group) {
      was_stale.push_back(stale(p));
      if (!was_stale.back()) fresh.push_back(std::move(p));
    }
  } else {
    fresh.swap(group);
  }
  status st = ok;
  if (!fresh.empty()) {
    st = write_group(fresh);
    bool relaxed = std::all_of(fresh.begin(), fresh.end(),
                               [](const pending& p) { return p.b.relaxed(); });
    if (st && durability_ == durability::sync && !relaxed) st = sync_wal();
  }
  if (!any_stale) {
    complete(fresh, st);
    return;
  }
  status refused = error{errc::unavailable,
                         "the store failed since this writer read its state; "
                         "reload and retry"};
  std::size_t next = 0;
  for (std::size_t i = 0; i < group.size(); ++i)
    was_stale[i] ? group[i].done(refused) : fresh[next++].done(st);
  group.clear();
}

status group_commit::write_group(const std::vector<pending>& group) {
  if (hooks_.fault) {
    if (auto why = hooks_.fault(); !why.empty()) {
      fail(why, false);
      return error{errc::io_error, why};
    }
  }
  rocksdb::WriteBatch wb;
  for (const auto& p : group) {
    for (const auto& o : p.b.ops()) {
      auto* cf = cfs_[static_cast<std::size_t>(o.cf)];
      rocksdb::Status s = !o.range_end.empty()
                              ? wb.DeleteRange(cf, o.key, o.range_end)
                          : o.value ? wb.Put(cf, o.key, *o.value)
                                    : wb.Delete(cf, o.key);
      if (!s.ok()) return error{errc::invalid_argument, s.ToString()};
    }
  }
  rocksdb::WriteOptions opts;  // not synced here: see sync_wal()
  auto start = clock::now();
  rocksdb::Status s = db_->Write(opts, &wb);
  auto ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now() - start)
          .count();
  groups_.fetch_add(1, std::memory_order_relaxed);
  if (hooks_.on_commit) hooks_.on_commit(group.size(), std::uint64_t(ns));
  write_ns_.fetch_add(static_cast<std::uint64_t>(ns),
                      std::memory_order_relaxed);
  if (!s.ok()) {
    fail("write failed: " + s.ToString(), true);
    return error{errc::io_error, s.ToString()};
  }
  batches_.fetch_add(group.size(), std::memory_order_relaxed);
  if (group.size() > max_group_.load(std::memory_order_relaxed))
    max_group_.store(group.size(), std::memory_order_relaxed);
  return ok;
}

status group_commit::sync_wal() {
  syncs_.fetch_add(1, std::memory_order_relaxed);
  rocksdb::Status s = db_->SyncWAL();
  if (!s.ok()) {
    // The group is in the memtable but maybe not on disk: it is failed,
    // and Resume() flushes it, so it may exist after recovery (see
    // docs/operations.md).
    fail("WAL sync failed: " + s.ToString(), true);
    return error{errc::io_error, s.ToString()};
  }
  return ok;
}

void group_commit::background_error(const std::string& why) {
  store_health snapshot;
  {
    std::lock_guard<std::mutex> lock(mtx_);
    if (!health_.writable) return;
    health_.writable = false;
    writable_ = false;
    health_.reason = why;
    ++health_.generation;
    backoff_ = first_backoff;
    next_attempt_ = clock::now() + backoff_;
    snapshot = health_;
  }
  cv_.notify_one();
  report(snapshot, false);
}

void group_commit::fail(const std::string& why, bool rocksdb_failed) {
  // RocksDB leaves a WAL whose append or sync failed in place until its
  // recovery switches to a new one, which it does only when some memtable
  // holds data (DBImpl::ResumeImpl flushes, and an empty flush switches
  // nothing); writing to the old one after Resume() would abort.
  bool stuck = rocksdb_failed && wal_cannot_be_retired();
  store_health snapshot;
  bool flipped = false;
  {
    std::lock_guard<std::mutex> lock(mtx_);
    ++health_.write_failures;
    if (health_.writable) {
      flipped = true;
      health_.writable = false;
      writable_ = false;
      health_.reason = why;
      ++health_.generation;
      backoff_ = first_backoff;
      next_attempt_ = clock::now() + backoff_;
    }
    if (stuck && !health_.restart_needed) {
      health_.restart_needed = true;
      health_.reason += " (RocksDB cannot retire its WAL: restart the node)";
    }
    snapshot = health_;
  }
  if (flipped)
    report(snapshot, false);
  else if (hooks_.on_health)
    hooks_.on_health(snapshot);  // one more failure, no flip to log
}

bool group_commit::wal_cannot_be_retired() {
  for (auto* cf : cfs_) {
    std::uint64_t n = 0;
    if (!db_->GetIntProperty(cf, "rocksdb.num-entries-active-mem-table", &n) ||
        n > 0)
      return false;
  }
  return true;
}

void group_commit::try_recover() {
  std::string why;
  if (hooks_.fault) why = hooks_.fault();
  bool restart = health().restart_needed;
  if (why.empty() && !restart) {
    rocksdb::Status s = db_->Resume();
    if (s.ok()) {
      store_health snapshot;
      {
        std::lock_guard<std::mutex> lock(mtx_);
        health_.writable = true;
        writable_ = true;
        health_.reason.clear();
        snapshot = health_;
      }
      report(snapshot, true);
      return;
    }
    why = "resume failed: " + s.ToString();
    restart = s.severity() >= rocksdb::Status::Severity::kFatalError;
  }
  store_health snapshot;
  bool newly_stuck = false;
  {
    std::lock_guard<std::mutex> lock(mtx_);
    if (restart && !health_.restart_needed) {
      newly_stuck = true;
      health_.restart_needed = true;
      health_.reason += " (RocksDB cannot resume: restart the node)";
    }
    backoff_ = std::min(backoff_ * 2, max_backoff);
    next_attempt_ = clock::now() + backoff_;
    snapshot = health_;
  }
  metrics::emit(hooks_.log, "debug", "store_recovery_attempt",
                {{"error", why}});
  if (newly_stuck) report(snapshot, false);  // says restart_needed
}

void group_commit::report(const store_health& h, bool writable) {
  auto gen = std::to_string(h.generation);
  if (writable)
    metrics::emit(hooks_.log, "info", "store_writable", {{"generation", gen}});
  else
    metrics::emit(hooks_.log, "error", "store_unwritable",
                  {{"reason", h.reason},
                   {"generation", gen},
                   {"restart_needed", h.restart_needed ? "true" : "false"}});
  if (hooks_.on_health) hooks_.on_health(h);
}

}  // namespace switchboard::storage
