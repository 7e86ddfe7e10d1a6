// The format marker and the migration of a data directory written before
// the shard layout (format 1).
#include <rocksdb/db.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "storage/column_family.hpp"
#include "storage/keys.hpp"
#include "storage/shard.hpp"
#include "storage/store.hpp"
#include "tests/support/temp_dir.hpp"

using namespace switchboard::storage;
using switchboard::testing::temp_dir;

namespace {

// Format 1's key encoding, kept here independently of storage/: an id is
// one length byte and its bytes, numbers 8 bytes big-endian.
std::string v1(std::initializer_list<std::string_view> ids) {
  std::string k;
  for (auto id : ids) {
    k.push_back(static_cast<char>(id.size()));
    k.append(id);
  }
  return k;
}
std::string v1_number(std::string k, std::uint64_t n) {
  keys::append_u64(k, n);
  return k;
}

// RocksDB opened directly, with every column family of the store, and
// with the retired ones (an earlier build's directory) when asked.
struct raw_db {
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> hs;  // [0] is "default"

  explicit raw_db(const std::string& path, bool with_retired = false) {
    rocksdb::DBOptions o;
    o.create_if_missing = true;
    o.create_missing_column_families = true;
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    cfs.emplace_back(rocksdb::kDefaultColumnFamilyName,
                     rocksdb::ColumnFamilyOptions());
    for (auto n : column_family_names)
      cfs.emplace_back(std::string(n), rocksdb::ColumnFamilyOptions());
    if (with_retired)
      for (auto n : retired_column_family_names)
        cfs.emplace_back(std::string(n), rocksdb::ColumnFamilyOptions());
    rocksdb::DB* raw = nullptr;
    REQUIRE(rocksdb::DB::Open(o, path, cfs, &hs, &raw).ok());
    db.reset(raw);
  }
  ~raw_db() {
    for (auto* h : hs) (void)db->DestroyColumnFamilyHandle(h);
  }
  rocksdb::ColumnFamilyHandle* cf(column_family c) {
    return hs[1 + static_cast<std::size_t>(c)];
  }
  void put(column_family c, const std::string& k, const std::string& v) {
    REQUIRE(db->Put(rocksdb::WriteOptions(), cf(c), k, v).ok());
  }
  std::vector<std::string> keys_of(column_family c) {
    std::vector<std::string> out;
    std::unique_ptr<rocksdb::Iterator> it(
        db->NewIterator(rocksdb::ReadOptions(), cf(c)));
    for (it->SeekToFirst(); it->Valid(); it->Next())
      out.push_back(it->key().ToString());
    return out;
  }
  std::string marker() {
    std::string v;
    (void)db->Get(rocksdb::ReadOptions(), hs[0], "switchboard.format", &v);
    return v;  // empty when absent
  }
};

// Log lines of the store, by event name.
struct log_capture {
  std::mutex m;
  std::map<std::string, std::map<std::string, std::string>> events;
  switchboard::metrics::log_sink sink() {
    return [this](std::string_view, std::string_view event,
                  std::initializer_list<switchboard::metrics::log_field> fs) {
      std::lock_guard<std::mutex> lock(m);
      auto& e = events[std::string(event)];
      for (auto& [k, v] : fs) e[std::string(k)] = std::string(v);
    };
  }
};

std::unique_ptr<store> open_store(const std::string& path,
                                  switchboard::metrics::log_sink log = {},
                                  std::optional<std::uint32_t> shards = {}) {
  store_options o{path, durability::sync, {}};
  o.log = std::move(log);
  o.shards = shards;
  auto s = store::open(o);
  REQUIRE(s.has_value());
  return std::move(*s);
}

// A format-1 directory holding one of everything, with ids that have
// length bytes and nulls in them.
void write_format_1(const std::string& path) {
  raw_db r(path, true);
  const std::string g(std::string("g\0\x01", 3));
  r.put(column_family::conversations, v1({g}),
        encode(conversation_meta{"group", "t", "alice", 5}));
  r.put(column_family::conversations, v1({"c"}),
        encode(conversation_meta{"direct", "", "bob", 6}));
  for (std::uint64_t id = 1; id <= 3; ++id)
    r.put(column_family::messages, v1_number(v1({g}), id),
          encode_message(message{id, "alice", "m" + std::to_string(id), 10,
                                 "k" + std::to_string(id)}));
  std::string mid;
  keys::append_u64(mid, 2);
  r.put(column_family::idempotency, v1({g, "alice", "k2"}), mid);
  r.put(column_family::members, v1({g, "bob"}), encode(member_state{3, 2, 1}));
  r.put(column_family::members, v1({g, "alice"}),
        encode(member_state{3, 3, 1}));
  r.put(column_family::inbox, v1({"alice", g}), "");
  r.put(column_family::inbox, v1({"alice", "c"}), "");
  r.put(column_family::devices, v1({"bob", "t1"}),
        encode(device{"fcm", "t1", 7}));
  // "directs", retired since: dropped, not migrated.
  REQUIRE(
      r.db->Put(rocksdb::WriteOptions(), r.hs.back(), v1({"alice", "bob"}), "c")
          .ok());
  r.put(column_family::push_outbox, v1_number("", 41),
        encode(push_job{"bob", "c", 1, "alice", "hi", 0, 0}));
  std::string ts;
  keys::append_u64(ts, 1700);
  r.put(column_family::last_seen, v1({"bob"}), ts);
  r.put(column_family::revocations, v1({"bob"}), ts);
}

void check_everything_readable(store& db) {
  const std::string g(std::string("g\0\x01", 3));
  CHECK(db.shards() == 256);
  CHECK((*db.conversation(g))->kind == "group");
  CHECK((*db.conversation("c"))->creator == "bob");
  CHECK(*db.last_msg_id(g) == 3);
  auto p = db.read_after(g, 1, 10);
  REQUIRE(p.has_value());
  REQUIRE(p->messages.size() == 2);
  CHECK(p->messages[1].body == "m3");
  CHECK((*db.find_idempotent(g, "alice", "k2"))->msg_id == 2);
  auto ms = db.members(g);
  REQUIRE(ms->size() == 2);
  CHECK((*ms)[0].user_id == "alice");
  CHECK((*ms)[1].state.read_upto == 2);
  CHECK(*db.inbox("alice") == std::vector<std::string>{"c", g});
  CHECK(db.devices("bob")->at(0).token == "t1");
  auto jobs = db.push_jobs(10);
  REQUIRE(jobs->size() == 1);
  CHECK((*jobs)[0].seq == 41);
  CHECK(db.next_push_seq() > 41);
  CHECK(*db.last_seen("bob") == std::optional<std::int64_t>(1700));
  CHECK(db.revocations()->size() == 1);
  CHECK(*db.conversations("", 10) == std::vector<std::string>{"c", g});
}

}  // namespace

TEST_CASE("a new data directory records its format and shards", "[format]") {
  temp_dir dir;
  CHECK(open_store(dir.str(), {}, 7)->shards() == 7);
  CHECK(open_store(dir.str())->shards() == 7);  // kept from creation
  CHECK(raw_db(dir.str()).marker() == "format=2 shards=7");
}

TEST_CASE("the number of shards cannot change after creation", "[format]") {
  temp_dir dir;
  (void)open_store(dir.str());
  store_options o{dir.str(), durability::sync, {}};
  o.shards = 512;
  auto s = store::open(o);
  REQUIRE_FALSE(s.has_value());
  CHECK(s.err().code == errc::invalid_argument);
}

TEST_CASE("a format-1 directory is migrated in place at open", "[format]") {
  temp_dir dir;
  write_format_1(dir.str());
  log_capture log;
  {
    auto db = open_store(dir.str(), log.sink());
    check_everything_readable(*db);
  }
  REQUIRE(log.events.count("store_migrated") == 1);
  CHECK(log.events["store_migrated"]["keys"] == "14");
  CHECK(log.events["store_family_dropped"]["family"] == "directs");
  {
    std::vector<std::string> names;
    REQUIRE(
        rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir.str(), &names)
            .ok());
    CHECK(std::find(names.begin(), names.end(), "directs") == names.end());
    CHECK(names.size() == 1 + column_family_count);
  }
  CHECK(log.events["store_migrated"]["shards"] == "256");
  {
    raw_db r(dir.str());
    CHECK(r.marker() == "format=2 shards=256");
    for (std::size_t i = 0; i < column_family_count; ++i) {
      auto cf = static_cast<column_family>(i);
      for (auto& k : r.keys_of(cf)) {
        INFO(column_family_names[i]);
        CHECK(keys::decode(cf, k).has_value());
      }
    }
  }
  log_capture again;
  check_everything_readable(*open_store(dir.str(), again.sink()));
  CHECK(again.events.count("store_migration_started") == 0);
}

TEST_CASE("an interrupted migration finishes at the next open", "[format]") {
  temp_dir dir;
  write_format_1(dir.str());
  {
    // As a crash would leave it: marked migrating, one key already moved
    // (the retired family not dropped yet).
    raw_db r(dir.str(), true);
    REQUIRE(r.db->Put(rocksdb::WriteOptions(), r.hs[0], "switchboard.format",
                      "format=2 shards=256 migrating")
                .ok());
    REQUIRE(r.db->Delete(rocksdb::WriteOptions(),
                         r.cf(column_family::last_seen), v1({"bob"}))
                .ok());
    std::string ts;
    keys::append_u64(ts, 1700);
    r.put(column_family::last_seen, keys::key(shard_of("bob", 256), "bob"), ts);
  }
  check_everything_readable(*open_store(dir.str()));
}

TEST_CASE("a key neither format can read stops the open", "[format]") {
  temp_dir dir;
  raw_db(dir.str()).put(column_family::members, "\x09short", "");
  auto s = store::open(store_options{dir.str(), durability::sync, {}});
  REQUIRE_FALSE(s.has_value());
  CHECK(s.err().code == errc::corruption);
}

TEST_CASE("a newer format is refused", "[format]") {
  temp_dir dir;
  {
    raw_db r(dir.str());
    REQUIRE(r.db->Put(rocksdb::WriteOptions(), r.hs[0], "switchboard.format",
                      "format=3 shards=256")
                .ok());
  }
  auto s = store::open(store_options{dir.str(), durability::sync, {}});
  REQUIRE_FALSE(s.has_value());
  CHECK(s.err().code == errc::open_failed);
}
