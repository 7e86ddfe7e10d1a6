#include "storage/store_format.hpp"

#include <chrono>
#include <cstdio>
#include <memory>

#include "storage/column_family.hpp"
#include "storage/keys.hpp"
#include "storage/legacy_keys.hpp"
#include "storage/records.hpp"
#include "storage/shard.hpp"

namespace switchboard::storage {

namespace {

// Puts and deletes per WriteBatch of the migration: bounded memory, and few
// enough writes that a large store migrates in a reasonable time.
constexpr std::size_t migration_batch_ops = 4096;

struct marker {
  int version = 0;
  std::uint32_t shards = 0;
  bool migrating = false;
};

std::string marker_text(std::uint32_t shards, bool migrating) {
  return "format=" + std::to_string(store_format_version) +
         " shards=" + std::to_string(shards) + (migrating ? " migrating" : "");
}

std::optional<marker> parse_marker(const std::string& v) {
  marker m;
  unsigned long shards = 0;
  int used = 0;
  if (std::sscanf(v.c_str(), "format=%d shards=%lu%n", &m.version, &shards,
                  &used) != 2)
    return std::nullopt;
  std::string rest = v.substr(static_cast<std::size_t>(used));
  if (rest == " migrating")
    m.migrating = true;
  else if (!rest.empty())
    return std::nullopt;
  if (shards > max_shards || !valid_shard_count(std::uint32_t(shards)))
    return std::nullopt;
  m.shards = static_cast<std::uint32_t>(shards);
  return m;
}

error rocks_error(const rocksdb::Status& s) {
  return error{s.IsCorruption() ? errc::corruption : errc::io_error,
               s.ToString()};
}

status put_marker(rocksdb::DB* db, std::uint32_t shards, bool migrating) {
  rocksdb::WriteOptions wo;
  wo.sync = true;  // also makes every migrated key before it durable
  auto s = db->Put(wo, db->DefaultColumnFamily(), std::string(format_key),
                   marker_text(shards, migrating));
  // Flushed at once: a default column family's memtable holding the marker
  // would keep every later WAL file alive (the close flushes only the data
  // families), and each open would replay them all.
  if (s.ok()) s = db->Flush(rocksdb::FlushOptions(), db->DefaultColumnFamily());
  if (!s.ok()) return rocks_error(s);
  return ok;
}

result<bool> has_data(rocksdb::DB* db,
                      const std::vector<rocksdb::ColumnFamilyHandle*>& cfs) {
  for (auto* cf : cfs) {
    rocksdb::ReadOptions ro;
    ro.total_order_seek = true;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, cf));
    it->SeekToFirst();
    if (!it->status().ok()) return rocks_error(it->status());
    if (it->Valid()) return true;
  }
  return false;
}

// The first bytes of a key in hex, for an error message.
std::string hex_prefix(std::string_view key) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < key.size() && i < 32; ++i) {
    auto b = static_cast<unsigned char>(key[i]);
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 15]);
  }
  return key.size() > 32 ? out + "..." : out;
}

// Whether `key` is already in format 2, left by an interrupted migration.
// With at most 256 shards a format-2 key begins with 0x00, which no
// format-1 key does (its first byte is an id's length, 1..255), except in
// push_outbox, where format 1 has 8 bytes and format 2 has 10.
bool migrated(column_family cf, std::string_view key) {
  if (cf == column_family::push_outbox) return key.size() == 10;
  return !key.empty() && key[0] == '\0' && keys::decode(cf, key).has_value();
}

// The format-2 key of a format-1 key and its value.
result<std::string> new_key(column_family cf, std::string_view key,
                            std::string_view value, std::uint32_t shards) {
  auto p = legacy_keys::decode(cf, key);
  if (!p) return error{errc::corruption, "unreadable format-1 key"};
  std::string shard_id;
  if (cf == column_family::push_outbox) {
    auto job = decode_push_job(value);
    if (!job) return job.err();
    shard_id = job->user_id;
  } else {
    shard_id = p->ids.front();
  }
  p->shard = shard_of(shard_id, shards);
  return keys::encode(cf, *p);
}

// Rewrites every format-1 key of one column family; returns how many.
result<std::uint64_t> migrate_family(rocksdb::DB* db,
                                     rocksdb::ColumnFamilyHandle* h,
                                     column_family cf, std::uint32_t shards) {
  rocksdb::ReadOptions ro;
  ro.total_order_seek = true;
  // The iterator reads the snapshot taken when it was made, so the keys it
  // writes are never read back. They cannot overwrite a format-1 key
  // either: see migrated().
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro, h));
  rocksdb::WriteBatch wb;
  std::uint64_t moved = 0;
  auto flush = [&]() -> status {
    if (wb.Count() == 0) return ok;
    auto s = db->Write(rocksdb::WriteOptions(), &wb);
    if (!s.ok()) return rocks_error(s);
    wb.Clear();
    return ok;
  };
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto key = it->key().ToStringView();
    if (migrated(cf, key)) continue;
    auto k = new_key(cf, key, it->value().ToStringView(), shards);
    if (!k)
      return error{errc::corruption,
                   std::string(column_family_names[std::size_t(cf)]) + ": " +
                       k.err().message + " " + hex_prefix(key)};
    auto s = wb.Put(h, *k, it->value());
    if (s.ok()) s = wb.Delete(h, it->key());
    if (!s.ok()) return rocks_error(s);
    ++moved;
    if (wb.Count() >= migration_batch_ops)
      if (auto st = flush(); !st) return st.err();
  }
  if (!it->status().ok()) return rocks_error(it->status());
  if (auto st = flush(); !st) return st.err();
  return moved;
}

result<std::uint32_t> migrate(
    rocksdb::DB* db, const std::vector<rocksdb::ColumnFamilyHandle*>& cfs,
    std::uint32_t shards, const metrics::log_sink& log) {
  if (shards > 256)
    return error{errc::open_failed,
                 "a format-1 data directory migrates to at most 256 shards"};
  if (auto st = put_marker(db, shards, true); !st) return st.err();
  auto shards_text = std::to_string(shards);
  metrics::emit(
      log, "warn", "store_migration_started",
      {{"from_format", "1"}, {"to_format", "2"}, {"shards", shards_text}});
  auto start = std::chrono::steady_clock::now();
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < cfs.size(); ++i) {
    auto n = migrate_family(db, cfs[i], static_cast<column_family>(i), shards);
    if (!n) {
      metrics::emit(log, "error", "store_migration_failed",
                    {{"error", n.err().message}});
      return n.err();
    }
    total += *n;
  }
  if (auto st = put_marker(db, shards, false); !st) return st.err();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::steady_clock::now() - start)
                .count();
  auto keys_text = std::to_string(total);
  auto ms_text = std::to_string(ms);
  metrics::emit(log, "warn", "store_migrated",
                {{"from_format", "1"},
                 {"to_format", "2"},
                 {"shards", shards_text},
                 {"keys", keys_text},
                 {"ms", ms_text}});
  return shards;
}

}  // namespace

result<std::uint32_t> prepare_format(
    rocksdb::DB* db, const std::vector<rocksdb::ColumnFamilyHandle*>& cfs,
    std::optional<std::uint32_t> shards, const metrics::log_sink& log) {
  if (shards && !valid_shard_count(*shards))
    return error{errc::invalid_argument, "shards must be 1..65536"};
  std::string value;
  auto s = db->Get(rocksdb::ReadOptions(), db->DefaultColumnFamily(),
                   std::string(format_key), &value);
  if (!s.ok() && !s.IsNotFound()) return rocks_error(s);
  if (s.IsNotFound()) {
    auto data = has_data(db, cfs);
    if (!data) return data.err();
    std::uint32_t n = shards.value_or(default_shards);
    if (*data) return migrate(db, cfs, n, log);
    if (auto st = put_marker(db, n, false); !st) return st.err();
    return n;
  }
  auto m = parse_marker(value);
  if (!m) return error{errc::corruption, "unreadable format marker: " + value};
  if (m->version != store_format_version)
    return error{errc::open_failed, "data directory format " +
                                        std::to_string(m->version) +
                                        ", this build reads format " +
                                        std::to_string(store_format_version)};
  if (shards && *shards != m->shards)
    return error{errc::invalid_argument,
                 "the data directory has " + std::to_string(m->shards) +
                     " shards; the number is chosen only at creation"};
  if (m->migrating) return migrate(db, cfs, m->shards, log);
  return m->shards;
}

}  // namespace switchboard::storage
