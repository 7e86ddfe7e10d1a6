#pragma once

// The format marker of a data directory and the migration from format 1.
// Internal to storage/: it includes RocksDB.

#include <rocksdb/db.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "metrics/log_sink.hpp"
#include "storage/result.hpp"

namespace switchboard::storage {

// Format 2: keys begin with their shard (storage/keys.hpp). Format 1 had no
// shard and length-prefixed ids, and no marker.
constexpr int store_format_version = 2;

// The marker's key in the default column family. Its value is text,
// "format=2 shards=256", with " migrating" appended while a migration from
// format 1 runs.
constexpr std::string_view format_key = "switchboard.format";

// Makes the open database `db` a format-2 store and returns its number of
// shards. `cfs` are the data column families in column_family order, all
// open. An empty database gets the marker with `shards` (default_shards if
// unset). A marked one keeps its own S: errc::invalid_argument if `shards`
// asks for another. An unmarked one with data is format 1: every key of
// every column family is rewritten in place, in batches, then marked; an
// interrupted migration resumes at the next open. Errors: open_failed for
// a newer format or a migration to more than 256 shards, corruption for a
// key neither format can read (nothing is guessed), io_error from RocksDB.
// Blocking; runs once, before the writer starts.
result<std::uint32_t> prepare_format(
    rocksdb::DB* db, const std::vector<rocksdb::ColumnFamilyHandle*>& cfs,
    std::optional<std::uint32_t> shards, const metrics::log_sink& log);

}  // namespace switchboard::storage
