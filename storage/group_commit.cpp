#include "storage/group_commit.hpp"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>

#include "common/thread_name.hpp"
#include "storage/shard_journal.hpp"

namespace switchboard::storage {

namespace {

constexpr std::chrono::milliseconds first_backoff{50};
constexpr std::chrono::milliseconds max_backoff{1000};

}  // namespace

group_commit::group_commit(rocksdb::DB* db,
                           std::vector<rocksdb::ColumnFamilyHandle*> cfs,
                           durability d, writer_hooks hooks)
    : db_(db), cfs_(std::move(cfs)), durability_(d), hooks_(std::move(hooks)) {
  thread_ = std::thread([this] {
    name_thread("sb-writer");
    run();
  });
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
  bool lingers = b.linger().count() > 0;
  auto due = clock::now() + b.linger();
  queue_.push_back(pending{std::move(b), std::move(done), due});
  lock.unlock();
  // The writer may be waiting for a lingering group's company.
  if (was_empty || !lingers) cv_.notify_one();
}

void group_commit::set_sink(replication_sink* sink) {
  std::unique_lock<std::mutex> lock(mtx_);
  sink_ = sink;
  written_cv_.wait(lock, [this] { return !writing_; });
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
    replication_sink* sink = nullptr;
    {
      std::unique_lock<std::mutex> lock(mtx_);
      if (health_.writable) {
        cv_.wait(lock, [this] {
          return stopping_ || !queue_.empty() || !health_.writable;
        });
        // Only lingering batches: they wait for company until the first
        // one is due.
        for (;;) {
          auto due = clock::time_point::max();
          for (auto& p : queue_) due = std::min(due, p.due);
          if (stopping_ || !health_.writable || queue_.empty() ||
              clock::now() >= due)
            break;
          cv_.wait_until(lock, due);
        }
      } else
        cv_.wait_until(lock, next_attempt_,
                       [this] { return stopping_ || !queue_.empty(); });
      group.swap(queue_);
      if (group.empty() && stopping_) break;
      sink = sink_;
      writing_ = true;
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
    } else {
      write_fenced(group, generation, sink);
    }
    {
      std::lock_guard<std::mutex> lock(mtx_);
      writing_ = false;
    }
    written_cv_.notify_all();
  }
}

// Writes the batches of `group` whose fence the store has not passed, and
// completes every batch: the refused ones first, then the written ones in
// submission order (through the sink, when there is one).
void group_commit::write_fenced(std::vector<pending>& group,
                                std::uint64_t generation,
                                replication_sink* sink) {
  auto stale = [generation](const pending& p) {
    return p.b.fence() && *p.b.fence() < generation;
  };
  std::vector<pending> fresh;
  // Nearly always none is stale: no copy, no allocation then.
  if (std::any_of(group.begin(), group.end(), stale)) {
    status refused = error{errc::unavailable,
                           "the store failed since this writer read its "
                           "state; reload and retry"};
    for (auto& p : group) {
      if (stale(p))
        p.done(refused);
      else
        fresh.push_back(std::move(p));
    }
    group.clear();
  } else {
    fresh.swap(group);
  }
  std::vector<shard_append> appends;
  if (sink && !fresh.empty()) {
    // A write for a shard this node does not lead (it moved, or another
    // node took it over) is refused before it is written: its actor here
    // is stale, and an acknowledgement of it would be a lie.
    std::vector<bool> refused;
    appends = appends_of(fresh, *sink, refused);
    if (std::find(refused.begin(), refused.end(), true) != refused.end()) {
      status no = error{errc::unavailable,
                        "a shard of the write is not led by this node now; "
                        "retry"};
      std::vector<pending> kept;
      for (std::size_t i = 0; i < fresh.size(); ++i)
        refused[i] ? fresh[i].done(no) : kept.push_back(std::move(fresh[i]));
      fresh.swap(kept);
    }
  }
  if (fresh.empty()) {
    if (sink && !appends.empty()) sink->not_written(appends);
    return;
  }
  if (!appends.empty()) journal_appends(fresh, appends);
  status st = write_group(fresh, appends);
  // Only a write that never reached RocksDB gives its positions back: after
  // a failed WAL sync the group is in the memtable, and the recovery's
  // flush keeps it, position included.
  if (!st) {
    if (sink) sink->not_written(appends);
    return complete(fresh, st);
  }
  bool relaxed = std::all_of(fresh.begin(), fresh.end(),
                             [](const pending& p) { return p.b.relaxed(); });
  status synced = ok;
  if (durability_ == durability::sync && !relaxed) synced = sync_wal();
  if (!sink) return complete(fresh, synced);
  fill_appends(fresh, appends);
  // A durable group's completions go through the sink, in order with the
  // groups it still holds; a write that is not the sink's completes now.
  // A group whose WAL sync failed is in the memtable with its positions
  // (kept, as said above): it still goes to the followers, or the shard's
  // next group would leave them a gap they refuse, but none of its writes
  // is acknowledged (a retried send finds its message by its key).
  std::vector<completion> done, now;
  done.reserve(fresh.size());
  for (auto& p : fresh)
    (p.b.local_only() || !synced ? now : done).push_back(std::move(p.done));
  fresh.clear();
  // Handed on first: a writer told of the failure finds it with the sink.
  sink->written(std::move(appends), std::move(done));
  for (auto& d : now) d(synced);
}

std::vector<shard_append> group_commit::appends_of(
    const std::vector<pending>& group, replication_sink& sink,
    std::vector<bool>& refused) {
  std::vector<shard_append> out;
  refused.assign(group.size(), false);
  // Groups write to few shards: linear searches beat a map.
  std::vector<std::uint16_t> not_led;
  auto find = [&](std::uint16_t s) -> shard_append* {
    for (auto& a : out)
      if (a.shard == s) return &a;
    return nullptr;
  };
  auto shard_of_key = [](const std::string& k) {
    return static_cast<std::uint16_t>((static_cast<unsigned char>(k[0]) << 8) |
                                      static_cast<unsigned char>(k[1]));
  };
  for (std::size_t i = 0; i < group.size(); ++i) {
    const auto& b = group[i].b;
    if (b.local_only()) continue;
    // Every shard of the batch first: a batch for a shard this node does
    // not lead is refused whole.
    for (const auto& o : b.ops()) {
      if (o.key.size() < 2) continue;
      auto s = shard_of_key(o.key);
      if (find(s)) continue;
      if (std::find(not_led.begin(), not_led.end(), s) != not_led.end()) {
        refused[i] = true;
        continue;
      }
      auto step = sink.next_position(s);
      if (!step) {
        not_led.push_back(s);
        refused[i] = true;
        continue;
      }
      out.push_back(shard_append{s, step->prev, step->at, {}});
    }
  }
  return out;
}

void group_commit::journal_appends(const std::vector<pending>& group,
                                   std::vector<shard_append>& appends) const {
  std::vector<journal_entry> entries(appends.size());
  auto index_of = [&](const std::string& k) -> std::size_t {
    auto s =
        static_cast<std::uint16_t>((static_cast<unsigned char>(k[0]) << 8) |
                                   static_cast<unsigned char>(k[1]));
    for (std::size_t i = 0; i < appends.size(); ++i)
      if (appends[i].shard == s) return i;
    return appends.size();
  };
  for (const auto& p : group) {
    if (p.b.local_only()) continue;
    for (const auto& o : p.b.ops()) {
      // The position (a barrier's touch) is not data: it is the append's.
      if (o.key.size() < 2 || o.cf == column_family::shard_log) continue;
      auto i = index_of(o.key);
      if (i == appends.size()) continue;
      if (!o.range_end.empty())
        entries[i].ranges = true;
      else
        entries[i].keys.push_back({o.cf, o.key});
    }
  }
  for (std::size_t i = 0; i < appends.size(); ++i) {
    auto& a = appends[i];
    entries[i].epoch = a.at.epoch;
    batch::op put{column_family::shard_log, journal_key(a.shard, a.at.seq),
                  encode_journal(entries[i]), 0};
    put.raw = true;
    a.ops.push_back(std::move(put));
    if (a.at.seq > journal_groups_) {
      batch::op trim{column_family::shard_log,
                     journal_key(a.shard, a.at.seq - journal_groups_),
                     std::nullopt, 0};
      trim.raw = true;
      a.ops.push_back(std::move(trim));
    }
  }
}

void group_commit::fill_appends(std::vector<pending>& group,
                                std::vector<shard_append>& appends) {
  auto find = [&](const std::string& k) -> shard_append* {
    auto s =
        static_cast<std::uint16_t>((static_cast<unsigned char>(k[0]) << 8) |
                                   static_cast<unsigned char>(k[1]));
    for (auto& a : appends)
      if (a.shard == s) return &a;
    return nullptr;
  };
  // Written: the batches' ops move into the appends, no copy.
  for (auto& p : group) {
    if (p.b.local_only()) continue;
    for (auto& o : p.b.release_ops())
      if (o.key.size() >= 2)
        if (auto* a = find(o.key)) a->ops.push_back(std::move(o));
  }
  // A shard whose only batches were refused keeps its position: its
  // followers apply an append of the position alone.
  for (auto& a : appends) {
    batch::op pos{column_family::shard_log, position_key(a.shard),
                  encode_position(a.at), 0};
    pos.raw = true;
    a.ops.push_back(std::move(pos));
  }
}

status group_commit::write_group(const std::vector<pending>& group,
                                 const std::vector<shard_append>& appends) {
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
  for (const auto& a : appends) {  // each shard's journal, then position
    for (const auto& o : a.ops) {
      auto* cf = cfs_[static_cast<std::size_t>(o.cf)];
      auto s = o.value ? wb.Put(cf, o.key, *o.value) : wb.Delete(cf, o.key);
      if (!s.ok()) return error{errc::invalid_argument, s.ToString()};
    }
    auto s = wb.Put(cfs_[static_cast<std::size_t>(column_family::shard_log)],
                    position_key(a.shard), encode_position(a.at));
    if (!s.ok()) return error{errc::invalid_argument, s.ToString()};
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
