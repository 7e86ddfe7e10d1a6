#pragma once

// The inside of storage::store, shared by store.cpp (opening, writing,
// maintenance), store_log.cpp (a conversation's log) and store_records.cpp
// (the other kinds of data). Internal to storage/: it includes RocksDB.

#include <rocksdb/db.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/group_commit.hpp"
#include "storage/shard.hpp"
#include "storage/store.hpp"

namespace switchboard::storage {

// A RocksDB status that is not ok as the layer's error.
inline error to_error(const rocksdb::Status& s) {
  errc code = s.IsCorruption() ? errc::corruption : errc::io_error;
  return error{code, s.ToString()};
}

// Whether key `s` begins with `prefix`.
inline bool starts_with(const rocksdb::Slice& s, std::string_view prefix) {
  return s.size() >= prefix.size() &&
         std::string_view(s.data(), prefix.size()) == prefix;
}

// A big-endian 64-bit number (msg_ids in keys and values).
inline std::uint64_t read_be64(std::string_view v) {
  std::uint64_t x = 0;
  for (std::size_t i = 0; i < 8 && i < v.size(); ++i)
    x = (x << 8) | static_cast<unsigned char>(v[i]);
  return x;
}

struct store::impl {
  store_options options;
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;  // [0] is "default"
  std::vector<rocksdb::ColumnFamilyHandle*> cfs;      // by column_family
  std::unique_ptr<group_commit> writer;
  std::atomic<std::uint64_t> next_push_seq{1};
  std::uint32_t shards = default_shards;  // from the format marker

  // The shard of a conversation or user id.
  std::uint16_t shard(std::string_view id) const {
    return shard_of(id, shards);
  }

  rocksdb::ColumnFamilyHandle* cf(column_family c) const {
    return cfs[static_cast<std::size_t>(c)];
  }

  std::unique_ptr<rocksdb::Iterator> iter(
      column_family c, bool prefix = true,
      const rocksdb::Snapshot* at = nullptr) const {
    rocksdb::ReadOptions ro;
    ro.snapshot = at;
    // Without a prefix the iterator crosses conversations and shards: it
    // must not let prefix bloom filters skip files.
    ro.prefix_same_as_start = prefix;
    ro.total_order_seek = !prefix;
    return std::unique_ptr<rocksdb::Iterator>(db->NewIterator(ro, cf(c)));
  }

  result<std::optional<std::string>> get(column_family c,
                                         const std::string& key) const {
    std::string value;
    auto s = db->Get(rocksdb::ReadOptions(), cf(c), key, &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    if (!s.ok()) return to_error(s);
    return std::optional<std::string>(std::move(value));
  }

  ~impl() {
    if (writer) writer->stop();
    if (db) {
      // A flushed memtable makes the next open replay no WAL. Best effort:
      // a store that is not writable keeps its WAL for the next open.
      if (auto s = db->Flush(rocksdb::FlushOptions(), cfs); !s.ok())
        metrics::emit(options.log, "warn", "store_close_flush_failed",
                      {{"error", s.ToString()}});
      for (auto* h : handles) (void)db->DestroyColumnFamilyHandle(h);
      if (auto s = db->Close(); !s.ok())  // nothing left to do but say so
        metrics::emit(options.log, "warn", "store_close_failed",
                      {{"error", s.ToString()}});
    }
    db.reset();
    writer.reset();
  }
};

}  // namespace switchboard::storage
