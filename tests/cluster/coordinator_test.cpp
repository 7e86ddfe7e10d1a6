// The coordinator's membership against a real etcd started by each test
// (tests/support/etcd_process.hpp), with the shortest lease etcd grants
// (2 s): registration, keepalive, leaving, losing etcd and coming back.
#include "cluster/coordinator.hpp"

#include <catch2/catch.hpp>
#include <mutex>

#include "cluster/placement.hpp"
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
                 "a first node creates the cluster and claims every shard, a "
                 "second joins owning none",
                 "[coordinator]") {
  auto a = start("a", 16);
  CHECK(a->shards() == 16);
  CHECK(a->meta().format == 2);
  CHECK(a->incarnation() != 0);
  CHECK(a->self().incarnation == a->incarnation());
  CHECK(a->self().started_ms > 0);
  CHECK(a->lease_valid());
  CHECK(a->etcd_reachable());
  auto map = a->shard_map();
  REQUIRE(map.size() == 16);
  for (auto& s : map) {
    REQUIRE(s);
    CHECK(s->owner == "a");
    CHECK(s->epoch == 1);
    CHECK(s->state == shard_record::state_kind::owned);
  }
  CHECK(a->planned_moves().empty());

  auto refused = coordinator::start(options("b", 8));
  REQUIRE_FALSE(refused);
  CHECK(refused.err().code == errc::invalid_argument);
  CHECK(refused.err().message ==
        "cluster sb has 16 shards; --shards 8 applies only when a cluster is "
        "created");

  auto b = start("b");  // 0: whatever the cluster has
  CHECK(b->shards() == 16);
  CHECK(live(*b) == ids{"a", "b"});
  REQUIRE(events.eventually([&] { return live(*a) == ids{"a", "b"}; }));
  CHECK(a->live_node("b")->cluster_addr == b->self().cluster_addr);
  CHECK(a->live_node("b")->incarnation == b->incarnation());
  for (std::uint32_t n = 0; n < 16; ++n) CHECK(b->shard(n)->owner == "a");
  CHECK(*b->claim_unowned() == 0);

  std::vector<std::pair<std::uint32_t, std::string>> expected;
  for (std::uint32_t n = 0; n < 16; ++n)
    if (place_shard(n, {"a", "b"}) == "b") expected.emplace_back(n, "b");
  CHECK_FALSE(expected.empty());
  CHECK(a->planned_moves() == expected);
  CHECK(b->planned_moves() == expected);
}

TEST_CASE_METHOD(coordinator_fixture,
                 "a node id that is live already is refused", "[coordinator]") {
  auto a = start("a", 4);
  auto twin = coordinator::start(options("a", 4));
  REQUIRE_FALSE(twin);
  CHECK(twin.err().code == errc::already_exists);
  CHECK(to_string(twin.err().code) == "already_exists");
  INFO(twin.err().message);
  CHECK(twin.err().message.find("node id a is live already") !=
        std::string::npos);
  CHECK(twin.err().message.find(a->self().cluster_addr) != std::string::npos);
  // The refused start took nothing from the live one.
  CHECK(a->lease_valid());
  CHECK(live(*a) == ids{"a"});
  auto key = client.range("/sb/nodes/a");
  REQUIRE(key);
  REQUIRE(key->kvs.size() == 1);
  CHECK(key->kvs[0].lease == a->incarnation());
}

TEST_CASE_METHOD(coordinator_fixture,
                 "a node that stops cleanly is gone for the others at once, "
                 "and comes back with a new incarnation",
                 "[coordinator]") {
  auto a = start("a", 4);
  auto b = start("b");
  REQUIRE(events.eventually([&] { return live(*a) == ids{"a", "b"}; }));
  auto first = b->incarnation();
  b.reset();
  // The destructor revoked the lease: the key is gone now, not at expiry.
  CHECK(client.range("/sb/nodes/b")->kvs.empty());
  REQUIRE(events.eventually([&] { return live(*a) == ids{"a"}; }));

  b = start("b");  // the id is free at once
  CHECK(b->incarnation() != first);
  REQUIRE(events.eventually([&] {
    auto seen = a->live_node("b");
    return seen && seen->incarnation == b->incarnation();
  }));
}

TEST_CASE_METHOD(coordinator_fixture,
                 "a node without keepalives loses its lease, keeps its "
                 "shards, and registers again with a new incarnation",
                 "[coordinator]") {
  auto b = start("b", 8);
  auto a = start("a");
  REQUIRE(events.eventually([&] { return live(*a) == ids{"a", "b"}; }));
  auto first = b->incarnation();

  auto suspended = steady::now();
  b->suspend_keepalive(true);
  REQUIRE(events.eventually([&] { return !b->lease_valid(); }, 2s));
  CHECK(steady::now() - suspended < 2s);
  // etcd expires the key after the TTL (it checks every 0.5 s).
  REQUIRE(events.eventually([&] { return live(*a) == ids{"a"}; }, 6s));
  // A dead owner keeps its shards: nothing to claim or plan.
  for (std::uint32_t n = 0; n < 8; ++n) CHECK(a->shard(n)->owner == "b");
  CHECK(*a->claim_unowned() == 0);
  CHECK(a->planned_moves().empty());
  auto refused = b->claim_unowned();
  REQUIRE_FALSE(refused);
  CHECK(refused.err().code == errc::lease_not_found);

  b->suspend_keepalive(false);
  REQUIRE(events.eventually([&] { return b->lease_valid(); }, 5s));
  CHECK(b->incarnation() != first);
  CHECK(events.logged("lease_expired"));
  CHECK(events.eventually([&] { return events.logged("registered_again"); }));
  REQUIRE(events.eventually([&] {
    auto seen = a->live_node("b");
    return seen && seen->incarnation == b->incarnation();
  }));
}

TEST_CASE_METHOD(coordinator_fixture,
                 "a node whose etcd dies stops being valid within the TTL",
                 "[coordinator]") {
  auto a = start("a", 4);
  std::vector<std::pair<double, bool>> keepalives;
  std::mutex m;
  auto o = options("k", 0);
  o.on_keepalive = [&](double s, bool ok) {
    std::lock_guard<std::mutex> lock(m);
    keepalives.emplace_back(s, ok);
  };
  auto k = coordinator::start(o);
  REQUIRE(k);
  REQUIRE(events.eventually([&] {
    std::lock_guard<std::mutex> lock(m);
    return !keepalives.empty();
  }));
  {
    std::lock_guard<std::mutex> lock(m);
    CHECK(keepalives[0].second);
    CHECK(keepalives[0].first >= 0.0);
  }

  auto died = steady::now();
  etcd.kill();
  REQUIRE(events.eventually([&] { return !(*k)->lease_valid(); }, 2s));
  CHECK(steady::now() - died < 2s);
  REQUIRE(events.eventually([&] { return !(*k)->etcd_reachable(); }));
  CHECK(events.eventually([&] { return events.logged("keepalive_failed"); }));
  CHECK(events.eventually([&] {
    std::lock_guard<std::mutex> lock(m);
    return !keepalives.back().second;
  }));
}

TEST_CASE("a start without a reachable etcd fails as unreachable",
          "[coordinator]") {
  coordinator_options o;
  o.etcd = "http://127.0.0.1:" + std::to_string(free_loopback_port());
  o.self.id = "a";
  auto c = coordinator::start(o);
  REQUIRE_FALSE(c);
  CHECK(c.err().code == errc::unreachable);
  CHECK(c.err().message.rfind("cannot reach etcd at " + o.etcd, 0) == 0);

  o.self.id = "a/b";
  CHECK(coordinator::start(o).err().code == errc::invalid_argument);
}

TEST_CASE_METHOD(coordinator_fixture,
                 "a node cut off etcd stops being valid, is seen dead, and "
                 "once back registers again and catches up",
                 "[coordinator]") {
  tcp_proxy proxy(etcd.client_port());
  auto b = start_through(proxy.url(), "b", 8);
  auto a = start("a");
  REQUIRE(events.eventually([&] { return live(*b) == ids{"a", "b"}; }));
  auto first = b->incarnation();

  auto cut = steady::now();
  proxy.cut();
  REQUIRE(events.eventually([&] { return !b->lease_valid(); }, 2s));
  CHECK(steady::now() - cut < 2s);
  REQUIRE(events.eventually([&] { return live(*a) == ids{"a"}; }, 6s));
  CHECK_FALSE(b->etcd_reachable());
  // Meanwhile a change b does not see: its copy catches up later.
  auto s0 = *a->shard(0);
  CHECK(s0.owner == "b");  // a dead owner keeps its shards
  auto moving = a->begin_move(0, "a", s0.mod_revision);
  REQUIRE(moving);

  proxy.restore();
  REQUIRE(events.eventually([&] { return b->lease_valid(); }, 5s));
  CHECK(b->incarnation() != first);
  CHECK(events.eventually([&] { return b->etcd_reachable(); }));
  CHECK(events.logged("lease_expired"));
  CHECK(events.eventually(
      [&] { return events.logged("watch_restored", "no event missed"); }));
  REQUIRE(events.eventually([&] {
    auto seen = a->live_node("b");
    return seen && seen->incarnation == b->incarnation();
  }));
  REQUIRE(events.eventually(
      [&] { return b->shard(0)->mod_revision == moving->mod_revision; }));
  CHECK(b->shard(0)->state == shard_record::state_kind::moving);
  CHECK(events.eventually([&] { return live(*b) == ids{"a", "b"}; }));
}

TEST_CASE_METHOD(coordinator_fixture,
                 "a node whose id was taken while its lease was lost keeps "
                 "trying, and registers once the id is free",
                 "[coordinator]") {
  auto b = start("b", 4);
  auto first = b->incarnation();
  b->suspend_keepalive(true);
  // Once b's key has expired, another node takes the id.
  REQUIRE(events.eventually(
      [&] { return client.range("/sb/nodes/b")->kvs.empty(); }, 6s));
  auto twin = start("b");
  b->suspend_keepalive(false);
  REQUIRE(events.eventually(
      [&] { return events.logged("register_failed", "is live already"); }));
  CHECK_FALSE(b->lease_valid());
  CHECK(b->live_node("b")->incarnation == twin->incarnation());

  twin.reset();
  REQUIRE(events.eventually([&] { return b->lease_valid(); }, 5s));
  CHECK(b->incarnation() != first);
  CHECK(b->incarnation() != 0);
  REQUIRE(events.eventually([&] {
    auto seen = b->live_node("b");
    return seen && seen->incarnation == b->incarnation();
  }));
}

TEST_CASE_METHOD(coordinator_fixture,
                 "a watch stuck while etcd was out of reach starts again once "
                 "the node registers again",
                 "[coordinator]") {
  tcp_proxy proxy(etcd.client_port());
  auto b = start_through(proxy.url(), "b", 4);
  auto a = start("a");
  REQUIRE(events.eventually([&] { return live(*b) == ids{"a", "b"}; }));

  // b's watch stream hangs without breaking (as over a half-open
  // connection), and b's lease lapses.
  proxy.stall();
  b->suspend_keepalive(true);
  REQUIRE(events.eventually([&] { return live(*a) == ids{"a"}; }, 6s));
  auto s0 = *a->shard(0);
  auto moving = a->begin_move(0, "a", s0.mod_revision);
  REQUIRE(moving);

  b->suspend_keepalive(false);
  REQUIRE(events.eventually([&] { return b->lease_valid(); }, 5s));
  // The stream from before never delivers; the new watch does.
  REQUIRE(events.eventually(
      [&] { return b->shard(0)->mod_revision == moving->mod_revision; }));
  CHECK(events.logged("watch_broken", "out of reach"));
}

TEST_CASE_METHOD(coordinator_fixture,
                 "a watch that hangs while etcd is in reach is found by the "
                 "periodic check and started again",
                 "[coordinator]") {
  tcp_proxy proxy(etcd.client_port());
  auto b = start_through(proxy.url(), "b", 4);
  auto a = start("a");
  REQUIRE(events.eventually([&] { return live(*b) == ids{"a", "b"}; }));

  // b's watch stream hangs without breaking; its other requests, on new
  // connections, go through, and its lease stays valid.
  proxy.stall();
  auto s0 = *a->shard(0);
  auto moving = a->begin_move(0, "a", s0.mod_revision);
  REQUIRE(moving);
  a.reset();  // its key goes at once (the lease is revoked)
  // Two checks, 5 s apart, then the watch from the revision it had.
  REQUIRE(events.eventually(
      [&] { return b->shard(0)->mod_revision == moving->mod_revision; }, 20s));
  REQUIRE(events.eventually([&] { return live(*b) == ids{"b"}; }, 5s));
  CHECK(events.logged("watch_broken", "the watch missed changes"));
  CHECK(b->lease_valid());
}
