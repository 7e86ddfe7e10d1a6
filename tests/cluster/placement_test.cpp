#include "cluster/placement.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>

using namespace switchboard::cluster;

TEST_CASE("placement does not depend on the order of the nodes",
          "[placement]") {
  std::vector<std::string> a = {"n1", "n2", "n3"}, b = {"n3", "n1", "n2"};
  CHECK(place_all(256, a) == place_all(256, b));
  CHECK(place_shard(7, {}).empty());
  CHECK(place_shard(7, {"only"}) == "only");
}

TEST_CASE("shards spread over the nodes", "[placement]") {
  std::map<std::string, int> count;
  for (auto& owner : place_all(256, {"n1", "n2", "n3", "n4"})) ++count[owner];
  REQUIRE(count.size() == 4);
  // 64 each on average; rendezvous hashing is not exact, but not lopsided.
  for (auto& [node, n] : count) {
    INFO(node << " owns " << n);
    CHECK(n > 32);
    CHECK(n < 96);
  }
}

TEST_CASE(
    "a node that joins takes only shards it now wins, and one that "
    "leaves gives up only its own",
    "[placement]") {
  auto before = place_all(256, {"n1", "n2", "n3"});
  auto joined = place_all(256, {"n1", "n2", "n3", "n4"});
  int moved = 0;
  for (std::size_t s = 0; s < before.size(); ++s) {
    if (before[s] == joined[s]) continue;
    ++moved;
    CHECK(joined[s] == "n4");  // every move is towards the new node
  }
  CHECK(moved > 0);
  auto left = place_all(256, {"n1", "n3"});
  for (std::size_t s = 0; s < before.size(); ++s)
    if (before[s] != "n2")
      CHECK(left[s] == before[s]);  // only n2's moved
    else
      CHECK(left[s] != "n2");
}

TEST_CASE("placement weights are fixed (test vectors)", "[placement]") {
  // weight = first 8 bytes of SHA-256("n1/0"), big-endian: the same on
  // every node and in every version.
  // (printf 'n1/0' | sha256sum: the first 16 hex digits)
  CHECK(placement_weight(0, "n1") == 0xf8e09f80be48917eull);
  CHECK(placement_weight(255, "n2") == 0x26ae76b7177179cfull);
}

TEST_CASE("a shard's replicas are its nodes of highest weight, winner first",
          "[placement]") {
  std::vector<std::string> nodes = {"n1", "n2", "n3", "n4", "n5"};
  std::vector<std::string> reversed(nodes.rbegin(), nodes.rend());
  for (std::uint32_t s = 0; s < 256; ++s) {
    auto three = place_replicas(s, nodes, 3);
    REQUIRE(three.size() == 3);
    CHECK(three[0] == place_shard(s, nodes));
    CHECK(place_replicas(s, nodes, 1) == std::vector<std::string>{three[0]});
    CHECK(place_replicas(s, reversed, 3) == three);
    CHECK(placement_weight(s, three[0]) >= placement_weight(s, three[1]));
    CHECK(placement_weight(s, three[1]) >= placement_weight(s, three[2]));
    auto all = place_replicas(s, nodes, 5);
    CHECK(std::equal(three.begin(), three.end(), all.begin()));
    // A node that is not a replica leaves: the replicas stay.
    auto others = nodes;
    others.erase(std::find(others.begin(), others.end(), all[4]));
    CHECK(place_replicas(s, others, 3) == three);
  }
}

TEST_CASE("there are no more replicas than distinct nodes", "[placement]") {
  CHECK(place_replicas(3, {}, 3).empty());
  CHECK(place_replicas(3, {"n1", "n2"}, 0).empty());
  auto two = place_replicas(3, {"n1", "n2"}, 3);
  CHECK(two.size() == 2);
  CHECK(two[0] == place_shard(3, {"n1", "n2"}));
  CHECK(place_replicas(3, {"n1", "n2", "n1"}, 3) == two);
}
