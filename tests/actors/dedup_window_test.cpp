// The conversation's window of recent send keys (actors/dedup_window.hpp)
// without its actor: what it answers, and what it may forget.
#include "actors/dedup_window.hpp"

#include <catch2/catch.hpp>
#include <string>

using switchboard::actors::dedup_window;
using switchboard::actors::sent_id;

TEST_CASE(
    "a dedup window answers a key as it was sent, and a failed one as "
    "new",
    "[dedup_window]") {
  dedup_window w(4);
  CHECK_FALSE(w.find("a"));
  w.record("a", sent_id{1, 100}, 1);
  REQUIRE(w.find("a"));
  CHECK(w.find("a")->msg_id == 1);
  CHECK(w.find("a")->ts == 100);
  w.failed("a");  // its write failed: a retry is new
  CHECK_FALSE(w.find("a"));
  w.record("a", sent_id{2, 200}, 1);  // sent again, as message 2
  REQUIRE(w.find("a"));
  CHECK(w.find("a")->msg_id == 2);
  CHECK(w.size() == 1);
  w.failed("unknown");  // nothing to fail
  CHECK(w.size() == 1);
}

TEST_CASE(
    "a dedup window forgets its oldest durable keys past its cap, never "
    "one still being written",
    "[dedup_window]") {
  dedup_window w(3);
  // Messages 1..3 durable, 4..6 not yet.
  for (int i = 1; i <= 6; ++i)
    w.record("k" + std::to_string(i),
             sent_id{static_cast<std::uint64_t>(i), i * 10}, 3);
  // 1, 2 and 3 went (durable, oldest); 4, 5 and 6 are held.
  CHECK_FALSE(w.find("k1"));
  CHECK_FALSE(w.find("k3"));
  CHECK(w.find("k4"));
  CHECK(w.find("k6"));
  CHECK(w.size() == 3);
  // While 4 is not durable nothing goes, past the cap or not.
  w.record("k7", sent_id{7, 70}, 3);
  w.record("k8", sent_id{8, 80}, 3);
  CHECK(w.size() == 5);
  CHECK(w.find("k4"));
  // Once they are durable the oldest go again, down to the cap.
  w.record("k9", sent_id{9, 90}, 9);
  CHECK(w.size() == 3);
  CHECK_FALSE(w.find("k6"));
  CHECK(w.find("k7"));
  CHECK(w.find("k9"));
}
