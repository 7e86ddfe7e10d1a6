#include "storage/shard_journal.hpp"

#include <catch2/catch.hpp>
#include <map>

#include "storage/shard.hpp"
#include "tests/storage/store_fixture.hpp"

// A shard's journal (storage/shard_journal.hpp): its entries, where two
// logs part, and the patch that brings a copy from there to its leader's
// position.
using namespace switchboard::storage;
using switchboard::testing::store_fixture;
using switchboard::testing::temp_dir;

namespace {

journal_summary summary(std::uint64_t first, std::uint64_t last,
                        std::vector<std::pair<std::int64_t, std::uint64_t>> r) {
  journal_summary s;
  s.first = first;
  s.last = last;
  s.runs = std::move(r);
  return s;
}

// Leads one shard at `epoch` from `at`; keeps each group's appends and
// completes it at once.
struct leading_sink final : replication_sink {
  std::uint16_t shard = 0;
  std::int64_t epoch = 1;
  shard_position at{};
  std::vector<shard_append> appends;
  std::optional<shard_step> next_position(std::uint16_t s) override {
    if (s != shard) return std::nullopt;
    shard_step step{at, {epoch, at.seq + 1}};
    at = step.at;
    return step;
  }
  void not_written(const std::vector<shard_append>&) override {}
  void written(std::vector<shard_append> a,
               std::vector<completion> done) override {
    for (auto& x : a) appends.push_back(std::move(x));
    for (auto& d : done) d(ok);
  }
};

// What a follower's registry does with a leader's append.
void apply(store& s, const shard_append& a) {
  batch b;
  b.skip_replication();
  for (auto o : a.ops) b.add_raw(std::move(o));
  REQUIRE(s.commit_and_wait(std::move(b)).has_value());
}

void apply(store& s, std::vector<batch::op> ops) {
  batch b;
  b.skip_replication();
  for (auto& o : ops) b.add_raw(std::move(o));
  REQUIRE(s.commit_and_wait(std::move(b)).has_value());
}

// Every key and value of the shard, in every family that moves with it.
std::map<std::pair<int, std::string>, std::string> contents(
    const store& s, std::uint16_t shard) {
  std::map<std::pair<int, std::string>, std::string> out;
  for (std::size_t cf = 0; cf < column_family_count; ++cf) {
    if (!moves_with_shard(static_cast<column_family>(cf))) continue;
    std::string after;
    for (;;) {
      auto page =
          s.read_shard(shard, static_cast<column_family>(cf), after, 1 << 20);
      REQUIRE(page.has_value());
      for (auto& [k, v] : page->kvs) out[{int(cf), k}] = v;
      if (page->kvs.empty() || !page->more) break;
      after = page->kvs.back().first;
    }
  }
  return out;
}

// A message of conv (and its idempotency key), and `user`'s cursor.
void write(store& s, const std::string& conv, std::uint64_t id,
           const std::string& body, const std::string& user) {
  batch b;
  b.put_message(conv, message{id, user, body, 5, "c" + body});
  b.put_idempotency(conv, user, "c" + body, id, 0);
  b.put_member(conv, user, member_state{id, id, 1});
  REQUIRE(s.commit_and_wait(std::move(b)).has_value());
}

}  // namespace

TEST_CASE("a journal entry keeps its epoch, its flag and its keys",
          "[shard_journal]") {
  journal_entry e;
  e.epoch = 7;
  e.keys = {{column_family::messages, std::string("\x00\x05k1", 4)},
            {column_family::members, std::string(300, 'x')}};
  auto back = decode_journal(encode_journal(e));
  REQUIRE(back.has_value());
  CHECK(back->epoch == 7);
  CHECK_FALSE(back->ranges);
  CHECK(back->keys == e.keys);
  CHECK(journal_epoch(encode_journal(e)) == 7);  // without the keys
  CHECK_FALSE(journal_epoch("short").has_value());
  e.ranges = true;
  CHECK(decode_journal(encode_journal(e))->ranges);
  // Truncated anywhere, or with an unknown flag: not an entry.
  auto v = encode_journal(e);
  for (std::size_t n : {std::size_t{0}, std::size_t{8}, v.size() - 1})
    CHECK_FALSE(decode_journal(v.substr(0, n)).has_value());
  v[8] = 4;
  CHECK_FALSE(decode_journal(v).has_value());
  // Keys: shard then seq, so a shard's entries sort in seq order, after
  // its position's key.
  CHECK(journal_key(3, 9) < journal_key(3, 10));
  CHECK(position_key(3) < journal_key(3, 0));
  CHECK(journal_seq(3, journal_key(3, 9)) == 9u);
  CHECK_FALSE(journal_seq(4, journal_key(3, 9)).has_value());
  CHECK_FALSE(journal_seq(3, position_key(3)).has_value());
}

TEST_CASE("two logs part where the same seq has two epochs",
          "[shard_journal]") {
  auto a = summary(1, 10, {{1, 1}, {2, 6}});
  SECTION("the same log") { CHECK(common_point(a, a) == 10u); }
  SECTION("one behind the other") {
    CHECK(common_point(a, summary(1, 7, {{1, 1}, {2, 6}})) == 7u);
    CHECK(common_point(summary(1, 4, {{1, 1}}), a) == 4u);
  }
  SECTION("a copy ahead at an old epoch: its groups after 5 go") {
    // It took 6..8 from the leader of epoch 1, which the leader of
    // epoch 2 never had.
    CHECK(common_point(a, summary(1, 8, {{1, 1}})) == 5u);
  }
  SECTION("runs of several epochs on both sides") {
    auto b = summary(1, 12, {{1, 1}, {3, 4}, {4, 9}});
    auto c = summary(1, 11, {{1, 1}, {3, 4}, {5, 9}});
    CHECK(common_point(b, c) == 8u);
    CHECK(common_point(c, b) == 8u);
  }
  SECTION("nothing in common") {
    CHECK(common_point(summary(1, 3, {{1, 1}}), summary(1, 3, {{2, 1}})) == 0u);
    // A journal trimmed past the point: it cannot tell.
    CHECK_FALSE(common_point(summary(4, 9, {{1, 4}}), summary(1, 9, {{2, 1}}))
                    .has_value());
  }
  SECTION("the summary crosses nodes flat, and a malformed one is refused") {
    auto back = journal_summary::from_flat(a.flat());
    REQUIRE(back.has_value());
    CHECK(back->first == 1);
    CHECK(back->last == 10);
    CHECK(back->runs == a.runs);
    CHECK(back->epoch_at(5) == 1);
    CHECK(back->epoch_at(6) == 2);
    CHECK_FALSE(back->epoch_at(11).has_value());
    CHECK_FALSE(journal_summary::from_flat({1, 10, 2, 6, 1, 7}).has_value());
    CHECK_FALSE(journal_summary::from_flat({5, 1}).has_value());
    CHECK_FALSE(journal_summary::from_flat({1, 10, 1}).has_value());
    CHECK_FALSE(journal_summary::from_flat({1, 10, 1, 2}).has_value());
  }
}

TEST_CASE_METHOD(store_fixture,
                 "a leader's groups write their journal, which keeps the "
                 "last journal_groups of them",
                 "[shard_journal]") {
  // A journal of 16 groups, so that the test writes few.
  constexpr std::uint64_t keep = 16;
  db.reset();
  store_options o{dir.str(), durability::sync, {}};
  o.journal_groups = keep;
  auto opened = store::open(o);
  REQUIRE(opened.has_value());
  db = std::move(*opened);
  leading_sink sink;
  sink.shard = shard_of("conv-j", db->shards());
  sink.epoch = 3;
  db->set_replication(&sink);
  write(*db, "conv-j", 1, "one", "alice");
  auto v = db->shard_log_of(sink.shard);
  REQUIRE(v.has_value());
  CHECK(v->at == shard_position{3, 1});
  CHECK(v->consistent());
  CHECK(v->journal.first == 1);
  CHECK(v->journal.last == 1);
  auto keys = db->journal_keys_after(sink.shard, 0);
  REQUIRE(keys.has_value());
  CHECK(keys->size() == 3);  // the message, its idempotency key, the cursor
  // The append carries the entry: a follower's journal is the leader's.
  REQUIRE(sink.appends.size() == 1);
  CHECK(sink.appends[0].ops.front().key == journal_key(sink.shard, 1));

  for (std::uint64_t id = 2; id <= keep + 5; ++id)
    write(*db, "conv-j", id, "m" + std::to_string(id), "alice");
  v = db->shard_log_of(sink.shard);
  REQUIRE(v.has_value());
  CHECK(v->at.seq == keep + 5);
  CHECK(v->journal.last == keep + 5);
  CHECK(v->journal.first == 6);
  CHECK(v->consistent());
  // What the journal no longer holds it cannot list.
  auto gone = db->journal_keys_after(sink.shard, 2);
  REQUIRE_FALSE(gone.has_value());
  CHECK(gone.err().code == errc::invalid_argument);
  db->set_replication(nullptr);
}

TEST_CASE(
    "a copy ahead with writes its new leader never had is truncated "
    "and patched to the leader's position, key for key",
    "[shard_journal]") {
  temp_dir da, db_dir;
  auto open = [](temp_dir& d) {
    auto s = store::open(store_options{d.str(), durability::sync, {}});
    REQUIRE(s.has_value());
    return std::move(*s);
  };
  auto a = open(da);      // the leader of epoch 1, then a stale copy
  auto b = open(db_dir);  // its follower, then the leader of epoch 2
  leading_sink la;
  la.shard = shard_of("conv-r", a->shards());
  la.epoch = 1;
  a->set_replication(&la);
  for (std::uint64_t id = 1; id <= 5; ++id)
    write(*a, "conv-r", id, "m" + std::to_string(id), "alice");
  for (auto& x : la.appends) apply(*b, x);
  // Groups 6 and 7 of epoch 1 reach only a's store.
  write(*a, "conv-r", 6, "lost6", "alice");
  write(*a, "conv-r", 7, "lost7", "bob");
  a->set_replication(nullptr);
  // b takes the shard at epoch 2 from position 1/5 and writes its own.
  leading_sink lb;
  lb.shard = la.shard;
  lb.epoch = 2;
  lb.at = {1, 5};
  b->set_replication(&lb);
  write(*b, "conv-r", 6, "new6", "carol");
  write(*b, "conv-r", 7, "new7", "alice");
  write(*b, "conv-r", 8, "new8", "alice");
  b->set_replication(nullptr);
  REQUIRE(contents(*a, la.shard) != contents(*b, la.shard));

  auto va = a->shard_log_of(la.shard);
  auto vb = b->shard_log_of(la.shard);
  REQUIRE(va.has_value());
  REQUIRE(vb.has_value());
  CHECK(va->at == shard_position{1, 7});
  CHECK(vb->at == shard_position{2, 8});
  auto common = common_point(vb->journal, va->journal);
  REQUIRE(common == 5u);
  auto theirs = a->journal_keys_after(la.shard, *common);
  REQUIRE(theirs.has_value());
  auto snap = b->take_snapshot();
  auto patch = b->patch_after(la.shard, *common, *theirs, 1 << 20, snap.get());
  REQUIRE(patch.has_value());
  CHECK(patch->at == shard_position{2, 8});
  CHECK(patch->ops.back().key == position_key(la.shard));
  apply(*a, std::move(patch->ops));
  // Everything of the shard is now as at b: bob's cursor (only a's group
  // wrote it) gone, the lost messages gone, b's there, the journal b's.
  CHECK(contents(*a, la.shard) == contents(*b, la.shard));
  auto after = a->shard_log_of(la.shard);
  REQUIRE(after.has_value());
  CHECK(after->at == shard_position{2, 8});
  CHECK(after->consistent());
  CHECK(after->journal.runs == vb->journal.runs);

  SECTION("a patch larger than allowed is refused, not cut") {
    auto big = b->patch_after(la.shard, 0, {}, 64, snap.get());
    REQUIRE_FALSE(big.has_value());
    CHECK(big.err().code == errc::invalid_argument);
  }
  SECTION("the other copy's keys must be of the shard") {
    std::vector<journal_ref> stray = {
        {column_family::messages, journal_key(la.shard + 1, 1)}};
    CHECK_FALSE(b->patch_after(la.shard, 5, stray, 1 << 20).has_value());
  }
}

TEST_CASE("a journal entry names each family by a tag that never changes",
          "[journal]") {
  // The bytes an earlier build wrote: epoch 7, not ranges, one key of
  // "members" (tag 3; tag 2 was the retired "directs").
  std::string v(
      "\0\0\0\0\0\0\0\x07\0\x03\0\x02"
      "ab",
      14);
  journal_entry e{7, false, {{column_family::members, "ab"}}};
  CHECK(encode_journal(e) == v);
  auto back = decode_journal(v);
  REQUIRE(back.has_value());
  REQUIRE(back->keys.size() == 1);
  CHECK(back->keys[0].cf == column_family::members);
  v[9] = '\x02';  // the retired tag is nobody's
  CHECK_FALSE(decode_journal(v).has_value());
  for (std::size_t i = 0; i < column_family_count; ++i) {
    auto cf = static_cast<column_family>(i);
    CHECK(family_of_tag(tag_of(cf)) == cf);
  }
}
