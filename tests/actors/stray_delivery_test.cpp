// How a delivery to a user goes while the user's shard changes hands
// (actors/stray_delivery.hpp), by the routes a cluster sets: to every node
// for a while after the shard became this node's, was frozen or lost its
// leader, and by the usual path again after.
#include "actors/stray_delivery.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "actors/node.hpp"
#include "storage/shard.hpp"
#include "storage/store.hpp"
#include "tests/actors/node_requests.hpp"
#include "tests/support/temp_dir.hpp"

using namespace switchboard;
using namespace std::chrono_literals;
using actors::delivery_path;
using route = actors::directory::shard_route;
using kind = route::kind;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr std::uint32_t shards = 4;

// A user id of each shard.
std::vector<std::string> user_per_shard() {
  std::vector<std::string> out(shards);
  for (int i = 0, found = 0; found < static_cast<int>(shards); ++i) {
    auto id = "u" + std::to_string(i);
    auto& slot = out[storage::shard_of(id, shards)];
    if (slot.empty()) {
      slot = id;
      ++found;
    }
  }
  return out;
}

std::vector<route> routes_of(std::vector<kind> kinds) {
  std::vector<route> out(kinds.size());
  for (std::size_t n = 0; n < kinds.size(); ++n) out[n].what = kinds[n];
  return out;
}

}  // namespace

TEST_CASE(
    "a delivery goes to every node while its user's shard changes hands, "
    "and by its usual path once the shard settled",
    "[actors][cluster]") {
  testing::temp_dir dir;
  auto store = storage::store::open(
      storage::store_options{dir.str(), storage::durability::sync, {}, {}});
  REQUIRE(store.has_value());
  auto rt = std::make_unique<actors::node>(**store, testing::unthrottled());
  auto& d = rt->dir();
  auto users = user_per_shard();
  auto path = [&](std::uint32_t shard, clock_type::time_point at) {
    return actors::path_of(d.routes().get(), users[shard], at);
  };
  const auto settle = actors::directory::settle_time;
  const auto leaderless = actors::directory::leaderless_time;

  // A standalone node: every user's actor is here.
  CHECK(path(0, clock_type::now()) == delivery_path::actor);

  // The cluster starts: no shard has a leader yet, so no connection
  // waits for one (only a user's actor still active here could be
  // delivered to).
  d.set_routes(routes_of({kind::unavailable, kind::unavailable,
                          kind::unavailable, kind::unavailable}));
  CHECK(path(2, clock_type::now()) == delivery_path::actor);

  auto t0 = clock_type::now();
  d.set_routes(
      routes_of({kind::local, kind::remote, kind::unavailable, kind::local}));
  auto t1 = clock_type::now();
  // Gained: to every node until it settled, then to the user's actor.
  // (Each check compares with a time taken before or after the step, so
  // that none depends on how long a step takes.)
  CHECK(path(0, t0 + settle - 1s) == delivery_path::everywhere);
  CHECK(path(0, t1 + settle) == delivery_path::actor);
  CHECK(path(1, t1) == delivery_path::owner);
  CHECK(path(2, t1) == delivery_path::actor);

  // The same routes again (they are set every 250 ms): nothing changed
  // hands, so nothing is unsettled longer.
  d.set_routes(
      routes_of({kind::local, kind::remote, kind::unavailable, kind::local}));
  CHECK(path(0, t1 + settle) == delivery_path::actor);

  // Shard 1 loses its leader (its node died, or it moves): to every node
  // while its users' connections may still wait for one.
  auto t2 = clock_type::now();
  d.set_routes(routes_of(
      {kind::local, kind::unavailable, kind::unavailable, kind::local}));
  auto t3 = clock_type::now();
  CHECK(path(1, t2 + leaderless - 1s) == delivery_path::everywhere);
  CHECK(path(1, t3 + leaderless) == delivery_path::actor);

  // Shard 3 is frozen (a move, a copy's pause) and its users' actors stop:
  // to every node while their connections wait to register again (at
  // most leaderless_time, also when it stays frozen), and for a while
  // after the thaw.
  auto t4 = clock_type::now();
  REQUIRE(d.freeze_shard(3, shards, 1s));
  CHECK(path(3, t4 + leaderless - 1s) == delivery_path::everywhere);
  // Their wait begins again when the actors are stopped.
  auto t5 = clock_type::now();
  REQUIRE(d.quiesce_shard(3, shards, 1s));
  auto t6 = clock_type::now();
  CHECK(path(3, t5 + leaderless - 1s) == delivery_path::everywhere);
  CHECK(path(3, t6 + leaderless) == delivery_path::actor);
  auto t7 = clock_type::now();
  d.thaw_shard(3);
  auto t8 = clock_type::now();
  CHECK(path(3, t7 + settle - 1s) == delivery_path::everywhere);
  CHECK(path(3, t8 + settle) == delivery_path::actor);
  // A freeze survives the routes the cluster sets meanwhile.
  auto t9 = clock_type::now();
  REQUIRE(d.freeze_shard(0, shards, 1s));
  d.set_routes(routes_of(
      {kind::local, kind::unavailable, kind::unavailable, kind::local}));
  CHECK(path(0, t9 + leaderless - 1s) == delivery_path::everywhere);
  d.thaw_shard(0);
  // A thaw does not end the wait of a shard that lost its leader (shard 1,
  // above): the two deadlines are kept apart.
  REQUIRE(d.freeze_shard(1, shards, 1s));
  d.thaw_shard(1);
  auto t10 = clock_type::now();
  CHECK(path(1, t2 + leaderless - 1s) == delivery_path::everywhere);
  CHECK(path(1, std::max(t3 + leaderless, t10 + settle)) ==
        delivery_path::actor);
  // It fails over to this node: unsettled for the settle time from then,
  // not for what was left of its wait for a leader.
  auto t11 = clock_type::now();
  d.set_routes(
      routes_of({kind::local, kind::local, kind::unavailable, kind::local}));
  auto t12 = clock_type::now();
  CHECK(path(1, t11 + settle - 1s) == delivery_path::everywhere);
  CHECK(path(1, t12 + settle) == delivery_path::actor);
  rt.reset();  // before the store it writes to
}
