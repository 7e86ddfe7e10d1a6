#include "bench/harness/ledger.hpp"

#include <catch2/catch.hpp>

using namespace switchboard::bench;

namespace {

// Two users in one conversation (a direct pair), delivery tracked.
struct pair_fixture {
  results r;
  ledger l{2, {{0, 1}}, true, r};

  // User u's send `seq` acknowledged as msg_id, then received by the other.
  void exchange(std::size_t u, std::uint64_t seq, std::uint64_t msg_id) {
    l.sending(u, seq, 100);
    CHECK(l.acknowledged(u, seq, msg_id, false, 200));
    l.received(1 - u, msg_id, 100, 300);
    l.delivered_upto(u, msg_id, 400);
  }
  void finish() { l.finish({"a", "b"}, {"c"}); }
};

}  // namespace

TEST_CASE("a clean exchange is drained and has no violation", "[bench]") {
  pair_fixture f;
  f.exchange(0, 1, 1);
  f.exchange(1, 1, 2);
  f.exchange(0, 2, 3);
  CHECK(f.l.drained());
  f.finish();
  CHECK(f.r.violations == 0);
  CHECK(f.r.send_to_sent.count() == 3);
  CHECK(f.r.send_to_delivered.count() == 3);
}

TEST_CASE("a send acknowledged twice, or as a duplicate, is a violation",
          "[bench]") {
  pair_fixture f;
  f.l.sending(0, 1, 100);
  CHECK(f.l.acknowledged(0, 1, 1, false, 200));
  CHECK_FALSE(f.l.acknowledged(0, 1, 1, false, 200));
  f.l.sending(0, 2, 100);
  f.l.acknowledged(0, 2, 2, true, 200);
  CHECK(f.r.violations == 2);
}

TEST_CASE("two sends given the same msg_id are a violation", "[bench]") {
  pair_fixture f;
  f.l.sending(0, 1, 100);
  f.l.sending(1, 1, 100);
  CHECK(f.l.acknowledged(0, 1, 7, false, 200));
  CHECK_FALSE(f.l.acknowledged(1, 1, 7, false, 200));
  CHECK(f.r.violations == 1);
}

TEST_CASE("a gap, a lost delivery and a repeated one are found at the end",
          "[bench]") {
  pair_fixture f;
  f.exchange(0, 1, 1);
  f.l.sending(0, 2, 100);
  f.l.acknowledged(0, 2, 3, false, 200);  // msg_id 2 never acknowledged
  f.l.received(1, 3, 100, 300);
  f.l.received(1, 3, 100, 300);  // twice, and out of order
  f.l.delivered_upto(0, 3, 400);
  CHECK(f.r.violations == 1);  // 3 after 3
  f.finish();
  CHECK(f.r.violations == 3);  // + the gap at 2, + msg_id 3 twice
}

TEST_CASE("an unanswered send keeps the ledger from draining", "[bench]") {
  pair_fixture f;
  f.l.sending(0, 1, 100);
  CHECK_FALSE(f.l.drained());
  f.l.failed(0, 1);  // an error answer
  CHECK(f.l.drained());
  f.l.sending(1, 1, 100);
  f.finish();
  CHECK(f.r.violations == 1);
}

TEST_CASE("a receipt that overtakes a send's answer still delivers it",
          "[bench]") {
  pair_fixture f;
  f.l.sending(0, 1, 100);
  f.l.received(1, 1, 100, 150);
  // The receipt for msg_id 1 arrives before its `sent`.
  f.l.delivered_upto(0, 1, 180);
  CHECK(f.l.acknowledged(0, 1, 1, false, 200));
  CHECK(f.l.drained());
  f.finish();
  CHECK(f.r.violations == 0);
  CHECK(f.r.send_to_delivered.count() == 1);
}
