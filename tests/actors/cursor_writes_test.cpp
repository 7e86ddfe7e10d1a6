// A conversation's cursor logic without its actor (actors/cursor_writes.hpp):
// how acks and reads move a member's cursors, and how their writes are
// coalesced behind the one in flight.
#include "actors/cursor_writes.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using switchboard::actors::cursor_writes;
using switchboard::actors::move_cursor;
using switchboard::storage::member_state;

TEST_CASE(
    "cursors are cumulative, capped at the last durable message, and a "
    "read is a delivery",
    "[cursor_writes]") {
  member_state ms;
  auto m = move_cursor(ms, 5, false, 10);  // ack 5
  CHECK(m.delivered == 5u);
  CHECK_FALSE(m.read);
  CHECK(ms.delivered_upto == 5);
  CHECK(ms.read_upto == 0);

  CHECK_FALSE(move_cursor(ms, 3, false, 10).moved());  // never back
  CHECK(ms.delivered_upto == 5);

  m = move_cursor(ms, 99, false, 10);  // past the last: the last
  CHECK(m.delivered == 10u);

  m = move_cursor(ms, 7, true, 10);  // read 7: delivered already further
  CHECK_FALSE(m.delivered);
  CHECK(m.read == 7u);
  CHECK(ms.delivered_upto == 10);
  CHECK(ms.read_upto == 7);

  member_state fresh;
  m = move_cursor(fresh, 4, true, 10);  // a read delivers too
  CHECK(m.delivered == 4u);
  CHECK(m.read == 4u);
  CHECK_FALSE(move_cursor(fresh, 4, true, 10).moved());  // the same again
  // Nothing durable yet: nothing to move to.
  member_state none;
  CHECK_FALSE(move_cursor(none, 3, true, 0).moved());
}

TEST_CASE("cursor writes: one in flight, the rest coalesced into the next",
          "[cursor_writes]") {
  cursor_writes<int> w;
  CHECK_FALSE(w.next());  // nothing moved
  w.add("alice", 1);
  auto first = w.next();
  REQUIRE(first);
  CHECK(first->users == std::set<std::string>{"alice"});
  CHECK(first->waiters == std::vector<int>{1});
  CHECK(w.in_flight());

  // While it is on its way: three acks of two members wait for one write.
  w.add("bob", 2);
  w.add("alice", 3);
  w.add("bob", 4);
  CHECK(w.pending());
  CHECK_FALSE(w.next());  // not beside the one in flight

  w.finished();
  auto second = w.next();
  REQUIRE(second);
  CHECK(second->users == std::set<std::string>{"alice", "bob"});
  CHECK(second->waiters == std::vector<int>{2, 3, 4});
  CHECK_FALSE(w.pending());
  w.finished();
  CHECK_FALSE(w.next());

  // A conversation that stops tells whoever still waits.
  w.add("carol", 5);
  CHECK(w.drop_waiting() == std::vector<int>{5});
  CHECK_FALSE(w.pending());
  CHECK_FALSE(w.next());
}
