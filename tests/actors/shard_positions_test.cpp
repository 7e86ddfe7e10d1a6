#include "actors/shard_positions.hpp"

#include <catch2/catch.hpp>

using switchboard::actors::shard_positions;
using switchboard::storage::shard_position;

TEST_CASE("a leader's positions follow each other across epochs",
          "[shard_positions]") {
  shard_positions p(4);
  p.load({{2, shard_position{3, 10}}});
  CHECK_FALSE(p.next(2));  // not led: local writes only
  p.lead(2, 5);
  CHECK(p.next(2) == shard_position{5, 11});
  CHECK(p.next(2) == shard_position{5, 12});
  p.give_back(2, shard_position{5, 12});  // its write failed
  CHECK(p.at(2) == shard_position{5, 11});
  CHECK(p.next(2) == shard_position{5, 12});
  p.lead(2, 0);
  CHECK_FALSE(p.next(2));
  CHECK_FALSE(p.next(9));  // out of range
}

TEST_CASE("a follower takes its leader's appends in order, at no lower epoch",
          "[shard_positions]") {
  shard_positions p(4);
  CHECK(p.accept(1, {1, 1}, 1) == "");
  CHECK(p.accept(1, {1, 2}, 1) == "");
  // A gap, a repeat, a stale epoch, an epoch below the map's.
  CHECK(p.accept(1, {1, 4}, 1).find("does not follow 2") != std::string::npos);
  CHECK(p.accept(1, {1, 2}, 1).find("does not follow") != std::string::npos);
  CHECK(p.accept(1, {2, 3}, 2) == "");  // a new leader goes on from seq 3
  CHECK(p.accept(1, {1, 4}, 1).find("epoch 1 is below 2") != std::string::npos);
  CHECK(p.accept(1, {2, 4}, 3).find("epoch 2 is below 3") != std::string::npos);
  CHECK(p.at(1) == shard_position{2, 3});
  // A shard led here refuses appends.
  p.lead(1, 4);
  CHECK(p.accept(1, {4, 4}, 4).find("is led here") != std::string::npos);
  // A copy of the shard resets the position; the highest epoch stays.
  shard_positions q(2);
  q.accept(0, {3, 1}, 3);
  q.reset(0, {2, 9});
  CHECK(q.at(0) == shard_position{2, 9});
  CHECK(q.accept(0, {2, 10}, 0).find("below 3") != std::string::npos);
  CHECK(q.accept(0, {3, 10}, 0) == "");
}

TEST_CASE("a diverged copy refuses appends until a copy resets it",
          "[shard_positions]") {
  shard_positions p(2);
  CHECK(p.accept(0, {1, 1}, 1) == "");
  p.diverge(0);  // its write failed after the position was taken
  CHECK(p.check(0, {1, 2}, 1).find("diverged") != std::string::npos);
  CHECK(p.accept(0, {1, 2}, 1).find("diverged") != std::string::npos);
  CHECK(p.at(0) != shard_position{1, 1});  // no leader's position matches
  p.reset(0, {1, 5});  // a copy of the leader's shard arrived
  CHECK(p.accept(0, {1, 6}, 1) == "");
  // check() takes nothing.
  CHECK(p.check(0, {1, 7}, 1) == "");
  CHECK(p.at(0) == shard_position{1, 6});
}
