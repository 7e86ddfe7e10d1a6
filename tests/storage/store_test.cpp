#include <rocksdb/db.h>

#include <catch2/catch.hpp>

#include "storage/keys.hpp"
#include "storage/shard.hpp"
#include "tests/storage/store_fixture.hpp"

using namespace switchboard::storage;
using switchboard::testing::ids;
using switchboard::testing::store_fixture;
using V = std::vector<std::uint64_t>;

TEST_CASE_METHOD(store_fixture, "an empty log has no messages in any direction",
                 "[store]") {
  CHECK(*db->last_msg_id("c") == 0);
  auto after = db->read_after("c", 0, 10);
  REQUIRE(after.has_value());
  CHECK(after->messages.empty());
  CHECK_FALSE(after->has_more);
  CHECK(db->read_before("c", 100, 10)->messages.empty());
  CHECK(db->read_newest("c", 10)->messages.empty());
}

TEST_CASE_METHOD(store_fixture, "read_after pages oldest first with has_more",
                 "[store]") {
  append("c", 5);
  auto p = db->read_after("c", 0, 2);
  CHECK(ids(*p) == V{1, 2});
  CHECK(p->has_more);
  p = db->read_after("c", 2, 2);
  CHECK(ids(*p) == V{3, 4});
  CHECK(p->has_more);
  p = db->read_after("c", 4, 2);
  CHECK(ids(*p) == V{5});
  CHECK_FALSE(p->has_more);
  CHECK(p->messages[0].body == "m5");
}

TEST_CASE_METHOD(store_fixture, "read_before pages newest first with has_more",
                 "[store]") {
  append("c", 5);
  auto p = db->read_before("c", 5, 3);
  CHECK(ids(*p) == V{4, 3, 2});
  CHECK(p->has_more);
  p = db->read_before("c", 2, 3);
  CHECK(ids(*p) == V{1});
  CHECK_FALSE(p->has_more);
}

TEST_CASE_METHOD(store_fixture, "pagination edges", "[store]") {
  append("c", 3);
  SECTION("a limit larger than the log returns the whole log") {
    auto p = db->read_after("c", 0, 100);
    CHECK(ids(*p) == V{1, 2, 3});
    CHECK_FALSE(p->has_more);
    p = db->read_newest("c", 100);
    CHECK(ids(*p) == V{3, 2, 1});
    CHECK_FALSE(p->has_more);
  }
  SECTION("before 1 is empty") {
    auto p = db->read_before("c", 1, 10);
    CHECK(p->messages.empty());
    CHECK_FALSE(p->has_more);
  }
  SECTION("after the last is empty") {
    auto p = db->read_after("c", 3, 10);
    CHECK(p->messages.empty());
    CHECK_FALSE(p->has_more);
    CHECK(db->read_after("c", ~0ull, 10)->messages.empty());
  }
  SECTION("before past the end returns the newest") {
    CHECK(ids(*db->read_before("c", 1000, 2)) == V{3, 2});
  }
  SECTION("a limit of zero is an invalid argument") {
    auto p = db->read_after("c", 0, 0);
    REQUIRE_FALSE(p.has_value());
    CHECK(p.err().code == errc::invalid_argument);
  }
}

TEST_CASE_METHOD(store_fixture, "conversations do not bleed into each other",
                 "[store]") {
  append("a", 3);
  append("ab", 2);
  append("b", 1);
  CHECK(*db->last_msg_id("a") == 3);
  CHECK(*db->last_msg_id("ab") == 2);
  CHECK(ids(*db->read_after("a", 0, 10)) == V{1, 2, 3});
  CHECK(ids(*db->read_newest("ab", 10)) == V{2, 1});
  CHECK(*db->last_msg_id("zzz") == 0);
}

TEST_CASE_METHOD(store_fixture, "unread counts only other members' messages",
                 "[store]") {
  append("c", 5);  // alice sends 1, 3, 5; bob sends 2, 4
  CHECK(*db->count_from_others("c", 0, "alice") == 2);
  CHECK(*db->count_from_others("c", 0, "bob") == 3);
  CHECK(*db->count_from_others("c", 3, "bob") == 1);
  CHECK(*db->count_from_others("c", 5, "bob") == 0);
  // A bounded scan reads `max_scan` messages and counts the rest whoever
  // sent them: 1 to 3 are read (bob's 2 counts), 4 and 5 count as well.
  CHECK(*db->count_from_others("c", 0, "alice", 3) == 3);
  CHECK(*db->count_from_others("c", 0, "alice", 5) == 2);
  CHECK(*db->count_from_others("c", 2, "bob", 1) == 3);
}

TEST_CASE_METHOD(store_fixture, "idempotency keys find the original msg_id",
                 "[store]") {
  append("c", 3);
  CHECK((*db->find_idempotent("c", "alice", "c3"))->msg_id == 3);
  CHECK_FALSE(db->find_idempotent("c", "bob", "c3")->has_value());
  CHECK_FALSE(db->find_idempotent("other", "alice", "c3")->has_value());
}

TEST_CASE_METHOD(store_fixture,
                 "an idempotency key holds its message's timestamp too, and "
                 "one written before it did still reads",
                 "[store]") {
  append("c", 3);
  auto hit = *db->find_idempotent("c", "alice", "c3");
  REQUIRE(hit);
  CHECK(hit->msg_id == 3);
  CHECK(hit->ts_ms == 1002);  // the fixture's ts of message 3
  // As first written: the msg_id alone, 8 bytes.
  batch b;
  std::string old_value;
  keys::append_u64(old_value, 7);
  auto shard = shard_of("c", db->shards());
  b.put_raw(column_family::idempotency, keys::key(shard, "c", "bob", "old"),
            old_value);
  REQUIRE(db->commit_and_wait(std::move(b)).has_value());
  auto old = *db->find_idempotent("c", "bob", "old");
  REQUIRE(old);
  CHECK(old->msg_id == 7);
  CHECK_FALSE(old->ts_ms);
  // Anything else is no idempotency value.
  batch bad;
  bad.put_raw(column_family::idempotency, keys::key(shard, "c", "bob", "bad"),
              "12345");
  REQUIRE(db->commit_and_wait(std::move(bad)).has_value());
  auto broken = db->find_idempotent("c", "bob", "bad");
  REQUIRE_FALSE(broken);
  CHECK(broken.err().code == errc::corruption);
}

TEST_CASE_METHOD(store_fixture,
                 "a memory-only probe never calls a stored key absent",
                 "[store]") {
  using probe = switchboard::storage::store::probe;
  CHECK(db->probe_idempotent("c", "alice", "c1") == probe::absent);
  append("c", 2);
  CHECK(db->probe_idempotent("c", "alice", "c1") == probe::present);
  CHECK(db->probe_idempotent("c", "bob", "c1") == probe::absent);
  // After a reopen the key is in a table file: the probe may need the disk
  // (unknown), but it may not say absent.
  reopen();
  CHECK(db->probe_idempotent("c", "bob", "c2") != probe::absent);
  CHECK(db->probe_idempotent("c", "alice", "c1") != probe::absent);
  CHECK((*db->find_idempotent("c", "bob", "c2"))->msg_id == 2);
}

TEST_CASE_METHOD(store_fixture, "conversation metadata, members, inbox",
                 "[store]") {
  batch b;
  b.put_conversation("d1", conversation_meta{"direct", "", "bob", 10});
  b.put_member("d1", "alice", member_state{0, 0, 10});
  b.put_member("d1", "bob", member_state{2, 1, 10});
  b.put_inbox("alice", "d1");
  b.put_inbox("alice", "g1");
  b.put_inbox("bob", "d1");
  REQUIRE(db->commit_and_wait(std::move(b)).has_value());

  auto meta = db->conversation("d1");
  REQUIRE(meta->has_value());
  CHECK((*meta)->kind == "direct");
  CHECK_FALSE(db->conversation("nope")->has_value());

  auto ms = db->members("d1");
  REQUIRE(ms->size() == 2);
  CHECK((*ms)[0].user_id == "alice");
  CHECK((*ms)[1].user_id == "bob");
  CHECK((*ms)[1].state.delivered_upto == 2);
  CHECK((*db->member("d1", "bob"))->read_upto == 1);
  CHECK(*db->inbox("alice") == std::vector<std::string>{"d1", "g1"});
  using ids = std::vector<std::string>;
  CHECK(*db->inbox_page("alice", "", 1) == ids{"d1"});
  CHECK(*db->inbox_page("alice", "d1", 5) == ids{"g1"});
  CHECK(*db->inbox_page("alice", "d", 5) == ids{"d1", "g1"});
  CHECK(db->inbox_page("alice", "g1", 5)->empty());

  batch rm;
  rm.erase_member("d1", "bob");
  rm.erase_inbox("alice", "g1");
  REQUIRE(db->commit_and_wait(std::move(rm)).has_value());
  CHECK(db->members("d1")->size() == 1);
  CHECK_FALSE(db->member("d1", "bob")->has_value());
  CHECK(*db->inbox("alice") == std::vector<std::string>{"d1"});
}

TEST_CASE_METHOD(store_fixture, "devices and last seen", "[store]") {
  batch b;
  b.put_device("alice", device{"fcm", "t1", 1});
  b.put_device("alice", device{"apns", "t2", 2});
  b.put_device("bob", device{"gateway", "t3", 3});
  b.put_last_seen("alice", 1700000000000);
  REQUIRE(db->commit_and_wait(std::move(b)).has_value());
  auto ds = db->devices("alice");
  REQUIRE(ds->size() == 2);
  CHECK((*ds)[0].token == "t1");
  CHECK((*ds)[1].platform == "apns");
  CHECK(*db->last_seen("alice") == std::optional<std::int64_t>(1700000000000));
  CHECK_FALSE(db->last_seen("bob")->has_value());

  batch rm;
  rm.erase_device("alice", "t1");
  REQUIRE(db->commit_and_wait(std::move(rm)).has_value());
  CHECK(db->devices("alice")->size() == 1);
}

TEST_CASE_METHOD(store_fixture, "the push outbox keeps order and its sequence",
                 "[store]") {
  batch b;
  auto s1 = db->next_push_seq();
  auto s2 = db->next_push_seq();
  CHECK(s2 > s1);
  b.put_push_job(s2, push_job{"bob", "c", 2, "alice", "two", 0, 0});
  b.put_push_job(s1, push_job{"bob", "c", 1, "alice", "one", 0, 0});
  REQUIRE(db->commit_and_wait(std::move(b)).has_value());
  reopen();
  auto jobs = db->push_jobs(10);
  REQUIRE(jobs->size() == 2);
  CHECK((*jobs)[0].job.preview == "one");
  CHECK((*jobs)[1].seq == s2);
  CHECK(db->next_push_seq() > s2);

  batch rm;
  rm.erase_push_job("bob", s1);
  REQUIRE(db->commit_and_wait(std::move(rm)).has_value());
  CHECK(db->push_jobs(10)->size() == 1);
}

TEST_CASE_METHOD(store_fixture, "everything survives a reopen", "[store]") {
  append("c", 4);
  batch b;
  b.put_member("c", "alice", member_state{4, 3, 1});
  REQUIRE(db->commit_and_wait(std::move(b)).has_value());
  reopen();
  CHECK(*db->last_msg_id("c") == 4);
  CHECK(ids(*db->read_after("c", 0, 10)) == V{1, 2, 3, 4});
  CHECK((*db->member("c", "alice"))->read_upto == 3);
}

TEST_CASE_METHOD(store_fixture,
                 "a corrupt stored message is an error, not a crash",
                 "[store]") {
  append("c", 2);
  auto db_shards = db->shards();
  db.reset();
  {
    // Overwrite message 2 with garbage, behind the store's back.
    rocksdb::DB* raw = nullptr;
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    std::vector<std::string> names;
    REQUIRE(
        rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir.str(), &names)
            .ok());
    for (auto& n : names) cfs.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> hs;
    REQUIRE(rocksdb::DB::Open(rocksdb::DBOptions(), dir.str(), cfs, &hs, &raw)
                .ok());
    std::size_t i =
        std::find(names.begin(), names.end(), "messages") - names.begin();
    REQUIRE(raw->Put(rocksdb::WriteOptions(), hs[i],
                     keys::message_key(shard_of("c", db_shards), "c", 2),
                     "\x07junk")
                .ok());
    for (auto* h : hs) (void)raw->DestroyColumnFamilyHandle(h);
    delete raw;
  }
  db = open();
  auto p = db->read_after("c", 0, 10);
  REQUIRE_FALSE(p.has_value());
  CHECK(p.err().code == errc::corruption);
  CHECK(ids(*db->read_after("c", 0, 1)) == V{1});
}

TEST_CASE("a store that cannot be opened says so", "[store]") {
  auto s = store::open(
      store_options{"/proc/switchboard-cannot-exist", durability::sync, {}});
  REQUIRE_FALSE(s.has_value());
  CHECK(s.err().code == errc::open_failed);
}

TEST_CASE_METHOD(store_fixture,
                 "a second store on the same directory is refused", "[store]") {
  auto second = store::open(store_options{dir.str(), durability::sync, {}});
  REQUIRE_FALSE(second.has_value());
  CHECK(second.err().code == errc::open_failed);
}
