#include "actors/shard_positions.hpp"

#include <catch2/catch.hpp>

using switchboard::actors::shard_positions;
using switchboard::storage::shard_position;
using switchboard::storage::shard_step;

namespace {
shard_step step(shard_position prev, shard_position at) { return {prev, at}; }
}  // namespace

TEST_CASE("a leader's steps follow each other across epochs",
          "[shard_positions]") {
  shard_positions p(4);
  p.load({{2, shard_position{3, 10}}});
  CHECK_FALSE(p.next(2));  // not led: local writes only
  p.lead(2, 5);
  auto a = p.next(2);
  REQUIRE(a);
  CHECK(a->prev == shard_position{3, 10});
  CHECK(a->at == shard_position{5, 11});
  auto b = p.next(2);
  REQUIRE(b);
  CHECK(b->prev == shard_position{5, 11});
  CHECK(b->at == shard_position{5, 12});
  p.give_back(2, *b);  // its write never reached the store
  CHECK(p.at(2) == shard_position{5, 11});
  CHECK(p.next(2)->at == shard_position{5, 12});
  p.lead(2, 0);
  CHECK_FALSE(p.next(2));
  CHECK_FALSE(p.next(9));  // out of range
  // A diverged copy is no log to extend, even when led.
  p.lead(1, 2);
  p.diverge(1);
  CHECK_FALSE(p.next(1));
}

TEST_CASE(
    "a follower takes its leader's appends only on the exact position before, "
    "at no lower epoch",
    "[shard_positions]") {
  shard_positions p(4);
  CHECK(p.accept(1, step({0, 0}, {1, 1}), 1) == "");
  CHECK(p.accept(1, step({1, 1}, {1, 2}), 1) == "");
  // A gap, a repeat: the position before is not the one held.
  bool mismatch = false;
  CHECK(p.check(1, step({1, 3}, {1, 4}), 1, &mismatch)
            .find("this copy is at "
                  "1/2") != std::string::npos);
  CHECK(mismatch);
  CHECK_FALSE(p.accept(1, step({1, 1}, {1, 2}), 1).empty());
  // The same sequence of another epoch is another log: refused too.
  mismatch = false;
  CHECK_FALSE(p.check(1, step({2, 2}, {2, 3}), 2, &mismatch).empty());
  CHECK(mismatch);
  CHECK(p.accept(1, step({1, 2}, {2, 3}), 2) == "");  // a new leader goes on
  mismatch = false;
  CHECK(p.check(1, step({2, 3}, {1, 4}), 1, &mismatch)
            .find("epoch 1 is below 2") != std::string::npos);
  CHECK_FALSE(mismatch);  // refused for the epoch, not the position
  CHECK(p.accept(1, step({2, 3}, {2, 4}), 3).find("epoch 2 is below 3") !=
        std::string::npos);
  CHECK(p.at(1) == shard_position{2, 3});
  // A shard led here refuses appends.
  p.lead(1, 4);
  CHECK(p.accept(1, step({2, 3}, {4, 4}), 4).find("is led here") !=
        std::string::npos);
}

TEST_CASE("a follower's position is told only once its writes are durable",
          "[shard_positions]") {
  shard_positions p(2);
  CHECK(p.settled_at(0) == shard_position{0, 0});
  REQUIRE(p.accept(0, step({0, 0}, {1, 1}), 1) == "");
  REQUIRE(p.accept(0, step({1, 1}, {1, 2}), 1) == "");
  CHECK_FALSE(p.settled_at(0));  // two writes pending
  p.settled(0);
  CHECK_FALSE(p.settled_at(0));
  p.settled(0);
  CHECK(p.settled_at(0) == shard_position{1, 2});
}

TEST_CASE(
    "a patched copy's position is told only once the patch is durable, and "
    "a patch that failed leaves a copy at no position",
    "[shard_positions]") {
  shard_positions p(1);
  p.reset(0, shard_position{1, 5});
  p.reset_pending(0, shard_position{2, 7});
  CHECK(p.at(0) == shard_position{2, 7});
  CHECK_FALSE(p.settled_at(0));
  p.settled(0);
  CHECK(p.settled_at(0) == shard_position{2, 7});
  // Failed: diverged, then settled.
  p.reset_pending(0, shard_position{2, 9});
  p.diverge(0);
  p.settled(0);
  auto held = p.settled_at(0);
  REQUIRE(held);
  CHECK(*held != shard_position{2, 9});
  CHECK(*held != shard_position{2, 7});
}

TEST_CASE("a diverged copy refuses appends until a copy resets it",
          "[shard_positions]") {
  shard_positions p(2);
  CHECK(p.accept(0, step({0, 0}, {1, 1}), 1) == "");
  p.diverge(0);  // its write failed after the position was taken
  CHECK(p.check(0, step({1, 1}, {1, 2}), 1).find("diverged") !=
        std::string::npos);
  CHECK(p.at(0) != shard_position{1, 1});  // no leader's position matches
  p.reset(0, {1, 5});  // a copy of the leader's shard arrived
  CHECK(p.accept(0, step({1, 5}, {1, 6}), 1) == "");
  CHECK(p.check(0, step({1, 6}, {1, 7}), 1) == "");  // check() takes nothing
  CHECK(p.at(0) == shard_position{1, 6});
  // A copy keeps the highest epoch seen: an older leader stays fenced off.
  shard_positions q(2);
  q.accept(0, step({0, 0}, {3, 1}), 3);
  q.reset(0, {2, 9});
  CHECK(q.accept(0, step({2, 9}, {2, 10}), 0).find("below 3") !=
        std::string::npos);
}
