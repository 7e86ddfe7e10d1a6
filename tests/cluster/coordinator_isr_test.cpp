// Replication's txns on the shard map against a real etcd started by each
// test: the isr and the replicas of a shard.
#include <algorithm>
#include <catch2/catch.hpp>
#include <tuple>

#include "cluster/coordinator.hpp"
#include "cluster/placement.hpp"
#include "tests/cluster/isr_fixture.hpp"

using namespace switchboard::cluster;
using switchboard::testing::code_of;
using switchboard::testing::ids;
using switchboard::testing::isr_fixture;
using switchboard::testing::names;

TEST_CASE_METHOD(isr_fixture,
                 "shrink_isr and expand_isr change only the isr, a stale "
                 "revision changes nothing",
                 "[coordinator][isr]") {
  auto a = start("a", 4);
  auto b = start("b");
  auto c = start("c");
  REQUIRE(events.eventually([&] { return live(*a) == ids{"a", "b", "c"}; }));
  auto rev = put_record(0, record("a", {"a", "b", "c"}, {"a", "b", "c"}, 3),
                        {a.get(), b.get()});

  auto shrunk = a->shrink_isr(0, "c", rev);
  INFO((shrunk ? "" : shrunk.err().message));
  REQUIRE(shrunk);
  CHECK(shrunk->isr == names{"a", "b"});
  CHECK(shrunk->replicas == names{"a", "b", "c"});
  CHECK(shrunk->owner == "a");
  CHECK(shrunk->epoch == 3);
  CHECK(shrunk->state == shard_record::state_kind::owned);
  CHECK(shrunk->mod_revision > rev);
  CHECK(a->shard(0)->mod_revision == shrunk->mod_revision);  // at once
  CHECK(stored(0).isr == names{"a", "b"});
  REQUIRE(events.eventually(
      [&] { return b->shard(0)->mod_revision == shrunk->mod_revision; }));
  CHECK(b->shard(0)->isr == names{"a", "b"});

  CHECK(code_of(b->shrink_isr(0, "b", rev)) == errc::conflict);
  CHECK(code_of(b->expand_isr(0, "c", rev)) == errc::conflict);
  CHECK(stored_revision(0) == shrunk->mod_revision);
  auto now = shrunk->mod_revision;
  CHECK(code_of(a->shrink_isr(0, "a", now)) == errc::invalid_argument);
  CHECK(code_of(a->shrink_isr(0, "c", now)) == errc::invalid_argument);
  CHECK(code_of(a->shrink_isr(0, "", now)) == errc::invalid_argument);
  CHECK(code_of(a->shrink_isr(9, "b", now)) == errc::invalid_argument);
  CHECK(code_of(a->expand_isr(0, "b", now)) == errc::invalid_argument);
  CHECK(code_of(a->expand_isr(0, "z", now)) == errc::invalid_argument);
  CHECK(stored_revision(0) == now);

  auto expanded = b->expand_isr(0, "c", now);
  REQUIRE(expanded);
  CHECK(expanded->isr == names{"a", "b", "c"});
  CHECK(expanded->replicas == names{"a", "b", "c"});
  CHECK(expanded->epoch == 3);
  CHECK(stored(0).isr == names{"a", "b", "c"});

  // A replica that is not live cannot rejoin.
  auto dead = put_record(1, record("a", {"a", "d"}, {"a"}), {a.get()});
  CHECK(code_of(a->expand_isr(1, "d", dead)) == errc::invalid_argument);
  CHECK(stored_revision(1) == dead);
}

TEST_CASE_METHOD(isr_fixture,
                 "add_replica and remove_replica change the replicas, a new "
                 "one not in sync",
                 "[coordinator][isr]") {
  auto a = start("a", 4);
  auto b = start("b");
  auto c = start("c");
  REQUIRE(events.eventually([&] { return live(*a) == ids{"a", "b", "c"}; }));
  auto rev = put_record(0, record("a", {"a", "b"}, {"a", "b"}, 2), {a.get()});

  auto added = a->add_replica(0, "c", rev);
  INFO((added ? "" : added.err().message));
  REQUIRE(added);
  CHECK(added->replicas == names{"a", "b", "c"});
  CHECK(added->isr == names{"a", "b"});
  CHECK(added->owner == "a");
  CHECK(added->epoch == 2);
  CHECK(a->shard(0)->mod_revision == added->mod_revision);
  CHECK(stored(0).replicas == names{"a", "b", "c"});
  CHECK(code_of(a->add_replica(0, "c", rev)) == errc::conflict);
  CHECK(stored_revision(0) == added->mod_revision);
  auto now = added->mod_revision;
  CHECK(code_of(a->add_replica(0, "c", now)) == errc::invalid_argument);
  CHECK(code_of(a->add_replica(0, "z", now)) == errc::invalid_argument);

  auto removed = a->remove_replica(0, "b", now);
  REQUIRE(removed);
  CHECK(removed->replicas == names{"a", "c"});
  CHECK(removed->isr == names{"a"});
  CHECK(removed->epoch == 2);
  CHECK(stored(0).replicas == names{"a", "c"});
  CHECK(code_of(a->remove_replica(0, "c", now)) == errc::conflict);
  now = removed->mod_revision;
  CHECK(code_of(a->remove_replica(0, "a", now)) == errc::invalid_argument);
  CHECK(code_of(a->remove_replica(0, "b", now)) == errc::invalid_argument);
  CHECK(stored_revision(0) == now);

  // A replica that is gone (not live) can be removed.
  auto gone = put_record(2, record("a", {"a", "x"}, {"a", "x"}), {a.get()});
  auto dropped = a->remove_replica(2, "x", gone);
  REQUIRE(dropped);
  CHECK(dropped->replicas == names{"a"});
  CHECK(dropped->isr == names{"a"});

  // Five replicas are the most.
  auto full = put_record(1, record("a", {"a", "b", "v", "w", "x"}, {"a", "b"}),
                         {a.get()});
  CHECK(code_of(a->add_replica(1, "c", full)) == errc::invalid_argument);
  CHECK(stored_revision(1) == full);
  auto four =
      put_record(1, record("a", {"a", "b", "v", "w"}, {"a", "b"}), {a.get()});
  auto fifth = a->add_replica(1, "c", four);
  REQUIRE(fifth);
  CHECK(fifth->replicas == names{"a", "b", "v", "w", "c"});
}

TEST_CASE_METHOD(isr_fixture,
                 "rebalance plans each shard's copies towards placement: a "
                 "copy added for each removed, dead copies first, never the "
                 "owner's",
                 "[coordinator][isr]") {
  auto a = start("a", 4);
  auto b = start("b");
  auto c = start("c");
  auto d = start("d");
  REQUIRE(events.eventually([&] {
    return live(*a) == ids{"a", "b", "c", "d"};
  }));
  REQUIRE(a->meta().replicas == 3);
  names all{"a", "b", "c", "d"};
  auto outsider = [&](std::uint32_t n) {
    auto want = place_replicas(n, all, 3);
    for (auto& x : all)
      if (std::find(want.begin(), want.end(), x) == want.end()) return x;
    return std::string();
  };
  // 0: a live copy where placement does not want one, one missing.
  auto w0 = place_replicas(0, all, 3);
  put_record(0, record(w0[0], {w0[0], outsider(0), w0[1]}, {w0[0], w0[1]}),
             {a.get()});
  // 1: a copy on a node that is not live ("z"), one missing.
  auto w1 = place_replicas(1, all, 3);
  put_record(1, record(w1[0], {w1[0], "z", w1[1]}, {w1[0], w1[1]}), {a.get()});
  // 2: where placement wants it, in another order: nothing to move.
  auto w2 = place_replicas(2, all, 3);
  put_record(2, record(w2[0], {w2[2], w2[0], w2[1]}, {w2[0]}), {a.get()});
  // 3: one copy too many, the owner's among the unwanted: only the other.
  auto w3 = place_replicas(3, all, 3);
  auto o3 = outsider(3);
  put_record(3, record(o3, {o3, w3[0], w3[1], w3[2], "z"}, {o3}), {a.get()});

  auto plan = a->planned_copy_moves();
  std::vector<std::tuple<std::uint32_t, std::string, std::string>> got;
  for (auto& m : plan) got.emplace_back(m.shard, m.add, m.remove);
  std::vector<std::tuple<std::uint32_t, std::string, std::string>> expected{
      {0, w0[2], outsider(0)}, {1, w1[2], "z"}, {3, "", "z"}};
  CHECK(got == expected);
}
