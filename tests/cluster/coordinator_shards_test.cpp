// The coordinator's shard map against a real etcd started by each test:
// claims, moves, and a copy that follows every writer.
#include <catch2/catch.hpp>

#include "cluster/coordinator.hpp"
#include "tests/cluster/coordinator_fixture.hpp"
#include "tests/support/tcp_proxy.hpp"

using namespace switchboard::cluster;
using namespace std::chrono_literals;
using switchboard::testing::compact;
using switchboard::testing::coordinator_fixture;
using switchboard::testing::free_loopback_port;
using switchboard::testing::ids;
using switchboard::testing::steady;
using switchboard::testing::tcp_proxy;

TEST_CASE_METHOD(coordinator_fixture,
                 "a move switches owner and epoch in both copies, a stale "
                 "revision changes nothing",
                 "[coordinator]") {
  auto a = start("a", 16);
  auto b = start("b");
  REQUIRE(events.eventually([&] { return live(*a) == ids{"a", "b"}; }));
  auto plan = a->planned_moves();
  REQUIRE(plan.size() >= 1);
  auto n = plan[0].first;
  auto before = *a->shard(n);

  auto begun = a->begin_move(n, "b", before.mod_revision);
  INFO((begun ? "" : begun.err().message));
  REQUIRE(begun);
  CHECK(begun->owner == "a");
  CHECK(begun->epoch == 1);
  CHECK(begun->state == shard_record::state_kind::moving);
  CHECK(begun->target == "b");
  CHECK(begun->mod_revision > before.mod_revision);
  CHECK(a->shard(n)->mod_revision == begun->mod_revision);
  REQUIRE(events.eventually(
      [&] { return b->shard(n)->mod_revision == begun->mod_revision; }));
  CHECK(b->shard(n)->state == shard_record::state_kind::moving);
  CHECK(b->shard(n)->target == "b");

  auto stale = b->begin_move(n, "b", before.mod_revision);
  REQUIRE_FALSE(stale);
  CHECK(stale.err().code == errc::conflict);
  auto stale_finish = b->finish_move(n, before.mod_revision);
  REQUIRE_FALSE(stale_finish);
  CHECK(stale_finish.err().code == errc::conflict);
  CHECK(client.range("/sb/shards/" + std::to_string(n))->kvs[0].mod_revision ==
        begun->mod_revision);

  auto finished = b->finish_move(n, b->shard(n)->mod_revision);
  REQUIRE(finished);
  CHECK(finished->owner == "b");
  CHECK(finished->epoch == 2);
  CHECK(finished->state == shard_record::state_kind::owned);
  CHECK(finished->target.empty());
  REQUIRE(events.eventually(
      [&] { return a->shard(n)->mod_revision == finished->mod_revision; }));
  CHECK(a->shard(n)->owner == "b");
  CHECK(a->shard(n)->epoch == 2);
  CHECK(a->planned_moves().size() == plan.size() - 1);

  // Another shard moves and comes back: same owner, same epoch.
  auto m = (n + 1) % 16;
  auto other = *a->shard(m);
  REQUIRE(other.owner == "a");
  auto moving = a->begin_move(m, "b", other.mod_revision);
  REQUIRE(moving);
  CHECK(a->begin_move(m, "b", moving->mod_revision).err().code ==
        errc::invalid_argument);  // already moving
  auto aborted = a->abort_move(m, moving->mod_revision);
  REQUIRE(aborted);
  CHECK(aborted->owner == "a");
  CHECK(aborted->epoch == 1);
  CHECK(aborted->state == shard_record::state_kind::owned);
  REQUIRE(events.eventually(
      [&] { return b->shard(m)->mod_revision == aborted->mod_revision; }));
  CHECK(b->shard(m)->state == shard_record::state_kind::owned);
  CHECK(b->shard(m)->owner == "a");
  CHECK(a->abort_move(m, aborted->mod_revision).err().code ==
        errc::invalid_argument);  // not moving
  CHECK(a->begin_move(m, "nobody", aborted->mod_revision).err().code ==
        errc::invalid_argument);  // not live
  CHECK(events.changes() > 0);
}

TEST_CASE_METHOD(coordinator_fixture,
                 "a cluster of 300 shards is claimed in txns etcd accepts",
                 "[coordinator]") {
  auto a = start("a", 300);  // one txn of 300 puts exceeds --max-txn-ops
  for (std::uint32_t n = 0; n < 300; ++n) REQUIRE(a->shard(n));
  auto stored = client.range_prefix("/sb/shards/");
  REQUIRE(stored);
  CHECK(stored->kvs.size() == 300);
}

TEST_CASE_METHOD(coordinator_fixture,
                 "the copy follows writes made by others, and a malformed "
                 "record counts as none",
                 "[coordinator]") {
  auto a = start("a", 4);
  // Another writer (an operator, a rebalancer elsewhere) moves shard 2.
  shard_record moved;
  moved.owner = "z";
  moved.epoch = 5;
  REQUIRE(client.put("/sb/shards/2", encode_shard(moved)));
  REQUIRE(events.eventually([&] { return a->shard(2)->owner == "z"; }));
  CHECK(a->shard(2)->epoch == 5);
  REQUIRE(client.put("/sb/shards/3", "garbage"));
  REQUIRE(events.eventually([&] { return !a->shard(3); }));
  CHECK(events.logged("bad_shard_record"));
}

TEST_CASE_METHOD(coordinator_fixture,
                 "a watch that resumes past a compaction loads the map again",
                 "[coordinator]") {
  tcp_proxy proxy(etcd.client_port());
  auto o = options("b", 4);
  o.etcd = proxy.url();
  o.ttl_s = 10;  // the lease outlives the cut
  auto started = coordinator::start(o);
  REQUIRE(started);
  auto& b = *started;
  auto a = start("a");
  REQUIRE(events.eventually([&] { return live(*b) == ids{"a", "b"}; }));

  proxy.cut();
  auto s1 = *a->shard(1);
  auto moving = a->begin_move(1, "a", s1.mod_revision);
  REQUIRE(moving);
  auto last = client.put("/sb/unrelated", "x");
  REQUIRE(last);
  compact(etcd.url(), last->header.revision);
  auto changes = events.changes();

  proxy.restore();
  REQUIRE(events.eventually(
      [&] { return b->shard(1)->mod_revision == moving->mod_revision; }));
  CHECK(b->shard(1)->state == shard_record::state_kind::moving);
  CHECK(events.eventually(
      [&] { return events.logged("watch_restored", "compaction"); }));
  CHECK(events.changes() > changes);
  CHECK(b->lease_valid());
  // And it watches again from the load: later changes arrive too.
  auto back = a->abort_move(1, moving->mod_revision);
  REQUIRE(back);
  REQUIRE(events.eventually(
      [&] { return b->shard(1)->mod_revision == back->mod_revision; }));
}

TEST_CASE_METHOD(coordinator_fixture,
                 "a shard another node claimed first is skipped by a claim",
                 "[coordinator]") {
  tcp_proxy proxy(etcd.client_port());
  auto o = options("a", 16);
  o.etcd = proxy.url();
  auto started = coordinator::start(o);
  REQUIRE(started);
  auto& a = *started;
  REQUIRE(client.delete_prefix("/sb/shards/"));
  REQUIRE(events.eventually([&] {
    for (auto& s : a->shard_map())
      if (s) return false;
    return true;
  }));

  // a's watch stalls, so its copy misses the claim of shard 5 by "z".
  proxy.stall();
  shard_record z;
  z.owner = "z";
  REQUIRE(client.put("/sb/shards/5", encode_shard(z)));
  auto claimed = a->claim_unowned();
  INFO((claimed ? "" : claimed.err().message));
  REQUIRE(claimed);
  CHECK(*claimed == 15);  // the txn of 16 failed; one by one, 5 is skipped
  CHECK_FALSE(a->shard(5));
  proxy.resume();
  REQUIRE(events.eventually([&] { return a->shard(5).has_value(); }));
  CHECK(a->shard(5)->owner == "z");
  auto stored = client.range_prefix("/sb/shards/");
  REQUIRE(stored);
  REQUIRE(stored->kvs.size() == 16);
  for (auto& kv : stored->kvs)
    CHECK(decode_shard(kv.value)->owner ==
          (kv.key == "/sb/shards/5" ? "z" : "a"));
}
