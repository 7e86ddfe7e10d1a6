#include "actors/denial_pacer.hpp"

#include <catch2/catch.hpp>

using switchboard::actors::denial_pacer;
using namespace std::chrono_literals;

TEST_CASE(
    "held denials of a user are released one interval apart, after the "
    "bucket's wait",
    "[actors][limits]") {
  denial_pacer p;
  auto t0 = denial_pacer::clock::now();
  // The first waits for the bucket's next token; each one after it an
  // interval after the one before, however many come at once.
  CHECK(p.hold("mallory", 150ms, 200ms, t0) == 150ms);
  CHECK(p.hold("mallory", 150ms, 200ms, t0) == 350ms);
  CHECK(p.hold("mallory", 150ms, 200ms, t0) == 550ms);
  // Another user's pace is its own.
  CHECK(p.hold("eve", 100ms, 200ms, t0) == 100ms);
  // Once the pace has caught up with the clock, the bucket's wait rules.
  CHECK(p.hold("mallory", 100ms, 200ms, t0 + 10s) == 100ms);
  // eve's pace was over (an interval after its answer), and forgotten.
  CHECK(p.users() == 1);
  // However many come, none is held past max_hold, nor the pace pushed
  // further ahead.
  for (int i = 0; i < 100; ++i) p.hold("flood", 150ms, 200ms, t0);
  CHECK(p.hold("flood", 150ms, 200ms, t0) == denial_pacer::max_hold);
  CHECK(p.hold("flood", 150ms, 200ms, t0 + 5s) == 200ms);
}

TEST_CASE("the users a pacer keeps are bounded", "[actors][limits]") {
  denial_pacer p;
  auto t0 = denial_pacer::clock::now();
  for (std::size_t i = 0; i < denial_pacer::max_users; ++i)
    p.hold("u" + std::to_string(i), 10ms, 10ms, t0);
  CHECK(p.users() == denial_pacer::max_users);
  // Full, with every pace still running: a new user is held for its
  // bucket's wait, and not kept.
  CHECK(p.hold("late", 20ms, 10ms, t0) == 20ms);
  CHECK(p.users() == denial_pacer::max_users);
  // Later, the paces that are over make room.
  CHECK(p.hold("later", 20ms, 10ms, t0 + 1s) == 20ms);
  CHECK(p.users() == 1);
}

TEST_CASE(
    "a pace is kept until an interval after its last answer, however often "
    "its user is held again",
    "[actors][limits]") {
  denial_pacer p;
  auto t0 = denial_pacer::clock::now();
  CHECK(p.hold("mallory", 0ms, 100ms, t0) == 0ms);
  CHECK(p.hold("eve", 0ms, 300ms, t0) == 0ms);
  // mallory's pace is renewed before it is over: kept, and still paced
  // from its last answer when it comes round the queue again.
  CHECK(p.hold("mallory", 0ms, 100ms, t0 + 50ms) == 50ms);  // at t0+100
  CHECK(p.users() == 2);
  CHECK(p.hold("eve", 0ms, 300ms, t0 + 150ms) == 150ms);  // at t0+300
  CHECK(p.users() == 2);  // mallory's is over at t0+200, not yet
  CHECK(p.hold("bob", 0ms, 100ms, t0 + 250ms) == 0ms);
  CHECK(p.users() == 2);  // eve and bob: mallory's pace was over
  CHECK(p.hold("mallory", 0ms, 100ms, t0 + 250ms) == 0ms);
  CHECK(p.hold("eve", 0ms, 300ms, t0 + 400ms) == 200ms);  // t0+300 + 300
}
