#pragma once

// For tests of storage faults: a store on a RocksDB Env of the caller's
// (a file system that loses unsynced bytes at a simulated power loss, or
// fails writes). Kept out of store.hpp, whose interface has no RocksDB
// type.

#include <memory>

#include "storage/store.hpp"

namespace rocksdb {
class Env;
}

namespace switchboard::storage {

// store::open, with every file operation going through `env`, which must
// outlive the store.
result<std::unique_ptr<store>> open_store_on(const store_options& options,
                                             rocksdb::Env* env);

}  // namespace switchboard::storage
