// Changes of a shard's leader with replication, against a real etcd started
// by each test: failover, transfer, a move's end, first claims, and the
// counts a cluster is created with.
#include <catch2/catch.hpp>

#include "cluster/coordinator.hpp"
#include "cluster/placement.hpp"
#include "tests/cluster/isr_fixture.hpp"

using namespace switchboard::cluster;
using switchboard::testing::code_of;
using switchboard::testing::ids;
using switchboard::testing::isr_fixture;
using switchboard::testing::names;

TEST_CASE_METHOD(isr_fixture,
                 "an isr member takes over the shard of a dead owner with a "
                 "new epoch and an isr of itself",
                 "[coordinator][isr]") {
  auto a = start("a", 4);
  auto b = start("b");
  auto c = start("c");
  REQUIRE(events.eventually([&] { return live(*b) == ids{"a", "b", "c"}; }));
  auto rev = put_record(0, record("a", {"a", "c", "b"}, {"a", "c", "b"}, 4),
                        {b.get(), c.get()});
  auto out = put_record(1, record("a", {"a", "b", "c"}, {"a", "b"}), {c.get()});
  CHECK(code_of(b->take_over(0, rev)) == errc::invalid_argument);  // a lives

  a.reset();  // a clean leave: its key goes at once
  REQUIRE(events.eventually([&] { return live(*b) == ids{"b", "c"}; }));
  REQUIRE(events.eventually([&] { return live(*c) == ids{"b", "c"}; }));
  CHECK(code_of(c->take_over(1, out)) == errc::invalid_argument);  // not isr
  CHECK(code_of(b->take_over(0, rev - 1)) == errc::conflict);
  CHECK(stored_revision(0) == rev);

  auto taken = b->take_over(0, rev);
  INFO((taken ? "" : taken.err().message));
  REQUIRE(taken);
  CHECK(taken->owner == "b");
  CHECK(taken->epoch == 5);
  CHECK(taken->isr == names{"b"});
  CHECK(taken->replicas == names{"b", "a", "c"});
  CHECK(taken->state == shard_record::state_kind::owned);
  CHECK(b->shard(0)->mod_revision == taken->mod_revision);
  auto back = stored(0);
  CHECK(back.owner == "b");
  CHECK(back.epoch == 5);
  CHECK(back.isr == names{"b"});
  REQUIRE(events.eventually(
      [&] { return c->shard(0)->mod_revision == taken->mod_revision; }));
  // Too late for c: the record changed, and b (live) owns it now.
  CHECK(code_of(c->take_over(0, rev)) == errc::conflict);
  CHECK(code_of(c->take_over(0, taken->mod_revision)) ==
        errc::invalid_argument);

  auto moving = record("a", {"a", "b"}, {"a", "b"});
  moving.state = shard_record::state_kind::moving;
  moving.target = "c";
  auto m = put_record(2, moving, {b.get()});
  CHECK(code_of(b->take_over(2, m)) == errc::invalid_argument);
  CHECK(stored_revision(2) == m);
}

TEST_CASE_METHOD(isr_fixture,
                 "a node whose lease is gone cannot take over a shard",
                 "[coordinator][isr]") {
  auto b = start("b", 4);
  auto rev = put_record(0, record("z", {"z", "b"}, {"z", "b"}), {b.get()});

  // Its key is gone while it thinks itself registered: the txn's compare
  // on the key's creation refuses.
  REQUIRE(client.delete_range("/sb/nodes/b"));
  CHECK(code_of(b->take_over(0, rev)) == errc::lease_not_found);
  CHECK(stored_revision(0) == rev);

  // Its keepalives stop: once lease_valid() is false it does not try.
  b->suspend_keepalive(true);
  REQUIRE(events.eventually([&] { return !b->lease_valid(); }));
  CHECK(code_of(b->take_over(0, rev)) == errc::lease_not_found);
  CHECK(stored_revision(0) == rev);
}

TEST_CASE_METHOD(isr_fixture,
                 "a restarted owner resumes its shard at a new epoch, the "
                 "copies kept",
                 "[coordinator][isr]") {
  auto a = start("a", 4);
  auto b = start("b");
  REQUIRE(events.eventually([&] { return live(*a) == ids{"a", "b"}; }));
  auto rev =
      put_record(0, record("a", {"a", "b"}, {"a", "b"}, 7), {a.get(), b.get()});
  CHECK(code_of(b->resume(0, rev)) == errc::invalid_argument);  // a owns it
  CHECK(code_of(a->resume(0, rev - 1)) == errc::conflict);
  CHECK(stored_revision(0) == rev);

  auto resumed = a->resume(0, rev);
  INFO((resumed ? "" : resumed.err().message));
  REQUIRE(resumed);
  CHECK(resumed->owner == "a");
  CHECK(resumed->epoch == 8);
  CHECK(resumed->isr == names{"a", "b"});
  CHECK(resumed->replicas == names{"a", "b"});
  CHECK(stored(0).epoch == 8);

  auto moving = record("a", {"a", "b"}, {"a", "b"});
  moving.state = shard_record::state_kind::moving;
  moving.target = "b";
  auto m = put_record(1, moving, {a.get()});
  CHECK(code_of(a->resume(1, m)) == errc::invalid_argument);
  CHECK(stored_revision(1) == m);

  // Without its key it cannot: as for a takeover.
  auto held = put_record(2, record("a", {"a"}, {"a"}), {a.get()});
  REQUIRE(client.delete_range("/sb/nodes/a"));
  CHECK(code_of(a->resume(2, held)) == errc::lease_not_found);
  CHECK(stored_revision(2) == held);
}

TEST_CASE_METHOD(isr_fixture,
                 "transfer hands the shard to a live isr member with a new "
                 "epoch, the old owner kept",
                 "[coordinator][isr]") {
  auto a = start("a", 4);
  auto b = start("b");
  auto c = start("c");
  REQUIRE(events.eventually([&] { return live(*a) == ids{"a", "b", "c"}; }));
  auto rev =
      put_record(0, record("a", {"a", "c", "b"}, {"a", "b"}, 2), {a.get()});
  CHECK(code_of(a->transfer(0, "c", rev)) == errc::invalid_argument);
  CHECK(code_of(a->transfer(0, "a", rev)) == errc::invalid_argument);
  CHECK(code_of(a->transfer(0, "b", rev - 1)) == errc::conflict);
  CHECK(stored_revision(0) == rev);

  auto moved = a->transfer(0, "b", rev);
  INFO((moved ? "" : moved.err().message));
  REQUIRE(moved);
  CHECK(moved->owner == "b");
  CHECK(moved->epoch == 3);
  CHECK(moved->isr == names{"b", "a"});
  CHECK(moved->replicas == names{"b", "a", "c"});
  CHECK(moved->state == shard_record::state_kind::owned);
  CHECK(a->shard(0)->mod_revision == moved->mod_revision);
  CHECK(stored(0).owner == "b");
  REQUIRE(events.eventually(
      [&] { return b->shard(0)->mod_revision == moved->mod_revision; }));
  CHECK(b->shard(0)->epoch == 3);

  auto dead = put_record(1, record("a", {"a", "d"}, {"a", "d"}), {a.get()});
  CHECK(code_of(a->transfer(1, "d", dead)) == errc::invalid_argument);
  auto moving = record("a", {"a", "b"}, {"a", "b"});
  moving.state = shard_record::state_kind::moving;
  moving.target = "c";
  auto m = put_record(2, moving, {a.get()});
  CHECK(code_of(a->transfer(2, "b", m)) == errc::invalid_argument);
  CHECK(stored_revision(1) == dead);
  CHECK(stored_revision(2) == m);
}

TEST_CASE_METHOD(isr_fixture,
                 "a finished move puts the target in the old owner's place "
                 "in replicas and isr",
                 "[coordinator][isr]") {
  auto a = start("a", 4);
  auto b = start("b");
  auto c = start("c");
  REQUIRE(events.eventually([&] { return live(*a) == ids{"a", "b", "c"}; }));
  // To a node that is a replica already: no second copy of it.
  auto r0 =
      put_record(0, record("a", {"a", "b", "c"}, {"a", "c", "b"}), {a.get()});
  auto begun = a->begin_move(0, "b", r0);
  REQUIRE(begun);
  CHECK(begun->replicas == names{"a", "b", "c"});
  auto done = a->finish_move(0, begun->mod_revision);
  REQUIRE(done);
  CHECK(done->owner == "b");
  CHECK(done->epoch == 2);
  CHECK(done->replicas == names{"b", "c"});
  CHECK(done->isr == names{"b", "c"});
  CHECK(stored(0).replicas == names{"b", "c"});
  // To a node that is not.
  auto r1 = put_record(1, record("a", {"a", "b"}, {"a", "b"}), {a.get()});
  auto begun1 = a->begin_move(1, "c", r1);
  REQUIRE(begun1);
  auto done1 = a->finish_move(1, begun1->mod_revision);
  REQUIRE(done1);
  CHECK(done1->owner == "c");
  CHECK(done1->replicas == names{"c", "b"});
  CHECK(done1->isr == names{"c", "b"});
}

TEST_CASE_METHOD(isr_fixture,
                 "a claimed shard's replicas are its placement among the "
                 "live nodes, all in sync",
                 "[coordinator][isr]") {
  auto a = start("a", 16);
  auto b = start("b");
  auto c = start("c");
  auto d = start("d");
  CHECK(a->meta().replicas == 3);
  names all{"a", "b", "c", "d"};
  for (auto* x : {a.get(), b.get(), c.get(), d.get()})
    REQUIRE(events.eventually([&] {
      return live(*x) == ids{"a", "b", "c", "d"};
    }));
  REQUIRE(client.delete_prefix("/sb/shards/"));
  for (auto* x : {a.get(), b.get(), c.get(), d.get()})
    REQUIRE(events.eventually([&] {
      for (auto& s : x->shard_map())
        if (s) return false;
      return true;
    }));
  std::size_t claimed = 0;
  for (auto* x : {a.get(), b.get(), c.get(), d.get()}) {
    auto got = x->claim_unowned();
    REQUIRE(got);
    claimed += *got;
  }
  CHECK(claimed == 16);
  for (std::uint32_t n = 0; n < 16; ++n) {
    auto s = stored(n);
    INFO("shard " << n);
    CHECK(s.replicas == place_replicas(n, all, 3));
    CHECK(s.owner == s.replicas[0]);
    CHECK(s.isr == std::vector<std::string>{s.owner});
    CHECK(s.epoch == 1);
  }
}

TEST_CASE_METHOD(isr_fixture,
                 "replicas and min_insync are fixed when the cluster is "
                 "created",
                 "[coordinator][isr]") {
  auto a = start("a", 4);
  CHECK(a->meta().replicas == 3);
  CHECK(a->meta().min_insync == 2);
  CHECK(decode_meta(client.range("/sb/meta")->kvs[0].value)->replicas == 3);

  auto o = options("b", 0);
  o.replicas = 2;
  auto refused = coordinator::start(o);
  CHECK(code_of(refused) == errc::invalid_argument);
  CHECK(refused.err().message ==
        "cluster sb has 3 replicas; --replicas 2 applies only when a cluster "
        "is created");
  o.replicas = 0;
  o.min_insync = 3;
  refused = coordinator::start(o);
  CHECK(code_of(refused) == errc::invalid_argument);
  CHECK(refused.err().message ==
        "cluster sb has min_insync 2; --min-insync 3 applies only when a "
        "cluster is created");
  o.replicas = 3;
  o.min_insync = 2;
  auto b = coordinator::start(o);
  REQUIRE(b);
  CHECK((*b)->meta().min_insync == 2);

  // A new cluster: min_insync above replicas creates nothing.
  auto bad = options("a", 4);
  bad.cluster = "other";
  bad.replicas = 2;
  bad.min_insync = 3;
  CHECK(code_of(coordinator::start(bad)) == errc::invalid_argument);
  bad.replicas = 0;
  bad.min_insync = 4;  // above the default of 3
  CHECK(code_of(coordinator::start(bad)) == errc::invalid_argument);
  bad.replicas = 6;
  bad.min_insync = 0;
  CHECK(code_of(coordinator::start(bad)) == errc::invalid_argument);
  CHECK(client.range("/other/meta")->kvs.empty());
  bad.replicas = 1;  // min_insync 0: the default, but at most 1
  auto solo = coordinator::start(bad);
  REQUIRE(solo);
  CHECK((*solo)->meta().replicas == 1);
  CHECK((*solo)->meta().min_insync == 1);
}

TEST_CASE_METHOD(isr_fixture,
                 "a cluster created before replication keeps one copy of "
                 "each shard",
                 "[coordinator][isr]") {
  REQUIRE(client.put("/old/meta", R"({"shards":4,"format":2})"));
  auto o = options("a", 0);
  o.cluster = "old";
  auto a = coordinator::start(o);
  REQUIRE(a);
  CHECK((*a)->meta().replicas == 1);
  CHECK((*a)->meta().min_insync == 1);
  for (std::uint32_t n = 0; n < 4; ++n) {
    REQUIRE((*a)->shard(n));
    CHECK((*a)->shard(n)->replicas == names{"a"});
    CHECK((*a)->shard(n)->isr == names{"a"});
  }
  auto three = options("b", 0);
  three.cluster = "old";
  three.replicas = 3;
  CHECK(code_of(coordinator::start(three)) == errc::invalid_argument);
}
