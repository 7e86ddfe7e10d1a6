#include <algorithm>
#include <set>

#include "cluster/placement.hpp"
#include "tests/cluster_e2e/replication_support.hpp"

// Rebalance moves shards' copies towards rendezvous placement
// (docs/ARCHITECTURE.md "cluster/" "Replication"), under load, with a check of
// every acknowledged message.
using namespace switchboard::testing;
using namespace std::chrono_literals;
namespace json = boost::json;

TEST_CASE(
    "a joining node gets copies by rebalance: each new copy in sync before "
    "an old one goes, every copy where placement puts it, nothing lost",
    "[cluster][e2e][replication]") {
  // Groups are made until one lands where the test needs it: many creates.
  const std::vector<std::string> two_copies = {
      "--replicas",   "2",      "--send-rate",   "100000",
      "--send-burst", "100000", "--rate-create", "100000/100000"};
  const std::vector<std::string> four = {"n1", "n2", "n3", "n4"};
  cluster_fixture cl(3, two_copies);
  cl.wait_live(1, 3);
  wait_in_sync(cl, 1, 2);
  cl.rebalance();
  auto user = user_homed_on(cl, "n1", "alice");
  auto setup = cl.connect(1, user);
  // A group whose shard placement gives a copy on n4 once it joins.
  std::string conv;
  std::int64_t shard = -1;
  for (int i = 0; i < 32 && shard < 0; ++i) {
    auto c = group_on(cl, *setup, "n1", {user});
    auto n = cl.admin_json(1, "where " + c)["shard"].as_int64();
    auto want = switchboard::cluster::place_replicas(
        static_cast<std::uint32_t>(n), four, 2);
    if (std::find(want.begin(), want.end(), "n4") != want.end()) {
      conv = c;
      shard = n;
    }
  }
  REQUIRE(shard >= 0);

  sender s;
  s.conv = conv;
  {
    sender_thread t(s, cl.node(1).port(), cl.node(1).token(user));
    wait_acks(s, 30);
    cl.add_node(two_copies);
    cl.wait_live(1, 4);
    CHECK(cl.rebalance() > 0);
    wait_acks(s, 30);
    s.stop = true;
  }
  INFO(s.failure);
  REQUIRE(s.failure.empty());

  auto dry = cl.admin_json(2, "rebalance --dry-run");
  CHECK(dry["planned"].as_int64() == 0);
  CHECK(dry["copies_planned"].as_int64() == 0);
  wait_in_sync(cl, 1, 2);
  auto shards = cl.admin_json(1, "shards");
  for (auto& v : shards["shards"].as_array()) {
    auto& o = v.as_object();
    std::set<std::string> have;
    for (auto& r : o.at("replicas").as_array())
      have.insert(std::string(r.as_object().at("node").as_string()));
    auto want = switchboard::cluster::place_replicas(
        static_cast<std::uint32_t>(o.at("shard").as_int64()), four, 2);
    INFO(json::serialize(o));
    CHECK(have == std::set<std::string>(want.begin(), want.end()));
  }
  // The copies a node lost are gone from its store too.
  for (int i = 1; i <= 4; ++i)
    CHECK(cl.node(i).log().find("replica_not_dropped") == std::string::npos);
  // n4's new copy holds every acknowledged message: it leads the shard
  // now, and serves the history.
  if (cl.owner_of(conv) != "n4")
    CHECK(cl.admin_json(
              1, "transfer " + std::to_string(shard) + " n4")["owner"] == "n4");
  check_history(cl, 3, user, s);
}
