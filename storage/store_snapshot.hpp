#pragma once

#include <rocksdb/db.h>

#include "storage/store.hpp"

// store::snapshot, for the store's own files (store_shard.cpp,
// store_journal.cpp): a RocksDB snapshot held while it lives.
namespace switchboard::storage {

class store::snapshot {
 public:
  explicit snapshot(rocksdb::DB* db) : db_(db), at_(db->GetSnapshot()) {}
  ~snapshot() { db_->ReleaseSnapshot(at_); }
  snapshot(const snapshot&) = delete;
  snapshot& operator=(const snapshot&) = delete;
  const rocksdb::Snapshot* at() const { return at_; }

 private:
  rocksdb::DB* db_;
  const rocksdb::Snapshot* at_;
};

}  // namespace switchboard::storage
