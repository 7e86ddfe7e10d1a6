#include "storage/shard.hpp"

#include <catch2/catch.hpp>
#include <string>

using namespace switchboard::storage;

// These values are part of the data format and of every cluster's shard
// map: if this test fails, the hash changed, and it must not.
TEST_CASE("the shard hash is SHA-256's first 8 bytes, fixed forever",
          "[shard]") {
  CHECK(stable_hash("alice") == 0x2bd806c97f0e00afull);
  CHECK(stable_hash("bob") == 0x81b637d8fcd2c6daull);
  CHECK(stable_hash("") == 0xe3b0c44298fc1c14ull);
  CHECK(stable_hash(std::string("\x00\xff", 2)) == 0x06eb7d6a69ee19e5ull);
}

TEST_CASE("shard_of is the hash modulo the number of shards", "[shard]") {
  CHECK(shard_of("alice", 256) == 175);
  CHECK(shard_of("bob", 256) == 218);
  CHECK(shard_of("c1", 256) == 219);
  CHECK(shard_of("carol", 256) == 158);
  CHECK(shard_of("alice", 7) == 1);
  CHECK(shard_of("carol", 7) == 6);
  CHECK(shard_of("bob", 100) == 50);
  CHECK(shard_of("bob", 65536) == 50906);
  CHECK(shard_of("alice", 1) == 0);
}

TEST_CASE("shard counts are 1 to 65536", "[shard]") {
  CHECK_FALSE(valid_shard_count(0));
  CHECK(valid_shard_count(1));
  CHECK(valid_shard_count(65536));
  CHECK_FALSE(valid_shard_count(65537));
}
