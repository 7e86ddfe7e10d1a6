// The coordinator against a real etcd started by each test (tests/support/
// etcd_process.hpp), with the shortest lease etcd grants (2 s).
#include "cluster/coordinator.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <set>

#include "cluster/endpoint_list.hpp"
#include "cluster/gateway_post.hpp"
#include "cluster/placement.hpp"
#include "tests/cluster/etcd_fixture.hpp"
#include "tests/support/tcp_proxy.hpp"

using namespace switchboard::cluster;
using namespace std::chrono_literals;
using switchboard::testing::etcd_fixture;
using switchboard::testing::free_loopback_port;
using switchboard::testing::tcp_proxy;
using steady = std::chrono::steady_clock;

namespace {

// What the coordinators of a test logged and how often their copies
// changed; `eventually` waits on it with a deadline that fails the test.
class coordinator_events {
 public:
  log_callback log() {
    return [this](std::string_view level, std::string_view event,
                  std::string_view detail) {
      std::lock_guard<std::mutex> lock(mutex_);
      auto line = std::string(level) + " " + std::string(event) + ": " +
                  std::string(detail);
      if (std::getenv("SB_TEST_LOG"))  // to see them while debugging a test
        std::fprintf(stderr, "%s\n", line.c_str());
      logged_.push_back(std::move(line));
      changed_.notify_all();
    };
  }
  std::function<void()> on_change() {
    return [this] {
      std::lock_guard<std::mutex> lock(mutex_);
      ++changes_;
      changed_.notify_all();
    };
  }

  // True once `pred` holds, false at the deadline. Woken by every change
  // and log line, and every 20 ms for conditions that only time changes
  // (lease_valid).
  template <class Pred>
  bool eventually(Pred pred, std::chrono::milliseconds limit = 10s) {
    auto deadline = steady::now() + limit;
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      lock.unlock();
      bool done = pred();
      lock.lock();
      if (done) return true;
      if (steady::now() >= deadline) return false;
      changed_.wait_for(lock, 20ms);
    }
  }

  // Some line has "<event>: ..." with `detail` in it.
  bool logged(std::string_view event, std::string_view detail = {}) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto name = " " + std::string(event) + ": ";
    for (auto& line : logged_) {
      auto at = line.find(name);
      if (at != std::string::npos &&
          line.find(detail, at + name.size()) != std::string::npos)
        return true;
    }
    return false;
  }
  std::size_t changes() {
    std::lock_guard<std::mutex> lock(mutex_);
    return changes_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> logged_;
  std::size_t changes_ = 0;
};

struct coordinator_fixture : etcd_fixture {
  coordinator_events events;

  coordinator_options options(const std::string& id, std::uint32_t shards) {
    coordinator_options o;
    o.etcd = etcd.url();
    o.cluster = "sb";
    o.self.id = id;
    o.self.cluster_addr = "127.0.0.1:" + std::to_string(7100 + id[0]);
    o.self.client_addr = "127.0.0.1:7000";
    o.self.admin_addr = "127.0.0.1:7001";
    o.self.version = "test";
    o.ttl_s = 2;
    o.shards = shards;
    o.etcd_opts.request_timeout = 1000ms;
    o.log = events.log();
    o.on_change = events.on_change();
    return o;
  }

  std::unique_ptr<coordinator> start(const std::string& id,
                                     std::uint32_t shards = 0) {
    auto c = coordinator::start(options(id, shards));
    INFO((c ? "" : c.err().message));
    REQUIRE(c);
    return std::move(*c);
  }

  static std::set<std::string> live(const coordinator& c) {
    std::set<std::string> out;
    for (auto& n : c.live_nodes()) out.insert(n.id);
    return out;
  }
};

using ids = std::set<std::string>;

// Compacts etcd's history up to `revision` (the client has no call for it:
// a node never compacts).
void compact(const std::string& url, std::int64_t revision) {
  auto eps = parse_endpoints(url);
  REQUIRE(eps);
  endpoint_list list(std::move(*eps));
  auto answer = gateway_post(
      list, etcd_options{}, "/v3/kv/compaction",
      R"({"revision":")" + std::to_string(revision) + R"(","physical":true})");
  REQUIRE(answer);
  INFO(answer->body);
  REQUIRE(answer->status == 200);
}

}  // namespace

TEST_CASE_METHOD(coordinator_fixture,
                 "a first node creates the cluster and claims every shard; a "
                 "second joins owning none",
                 "[coordinator]") {
  auto a = start("a", 16);
  CHECK(a->shards() == 16);
  CHECK(a->meta().format == 2);
  CHECK(a->incarnation() != 0);
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
                 "a node that stops cleanly is gone for the others at once",
                 "[coordinator]") {
  auto a = start("a", 4);
  auto b = start("b");
  REQUIRE(events.eventually([&] { return live(*a) == ids{"a", "b"}; }));
  b.reset();
  // The destructor revoked the lease: the key is gone now, not at expiry.
  CHECK(client.range("/sb/nodes/b")->kvs.empty());
  REQUIRE(events.eventually([&] { return live(*a) == ids{"a"}; }));
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
                 "a move switches owner and epoch in both copies; a stale "
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
                 "a node cut off etcd stops being valid, is seen dead, and "
                 "once back registers again and catches up",
                 "[coordinator]") {
  tcp_proxy proxy(etcd.client_port());
  auto o = options("b", 8);
  o.etcd = proxy.url();
  auto started = coordinator::start(o);
  REQUIRE(started);
  auto& b = *started;
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
