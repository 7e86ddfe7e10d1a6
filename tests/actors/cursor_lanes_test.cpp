#include "actors/cursor_lanes.hpp"

#include <catch2/catch.hpp>

using namespace switchboard::actors;

namespace {

client_frame cursor(const std::string& type, const std::string& conv,
                    std::uint64_t msg_id) {
  client_frame f;
  f.type = type;
  f.conv_id = conv;
  f.msg_id = msg_id;
  f.rid = type + std::to_string(msg_id);
  return f;
}

}  // namespace

TEST_CASE("acks that wait behind one in flight go as the highest of them",
          "[cursor_lanes]") {
  cursor_lanes l;
  auto first = cursor("ack", "c1", 1);
  CHECK(l.arrive(first));
  CHECK_FALSE(l.arrive(cursor("ack", "c1", 3)));
  CHECK_FALSE(l.arrive(cursor("ack", "c1", 5)));
  CHECK_FALSE(l.arrive(cursor("ack", "c1", 4)));
  // Other conversations and reads have lanes of their own.
  CHECK(l.arrive(cursor("read", "c1", 2)));
  CHECK(l.arrive(cursor("ack", "c2", 7)));
  CHECK(l.lanes() == 3);

  auto n = l.done(first);
  REQUIRE(n);
  CHECK(n->frame.msg_id == 5);
  CHECK(*n->frame.rid == "ack5");
  REQUIRE(n->folded.size() == 2);
  CHECK(n->folded[0].msg_id == 3);
  CHECK(n->folded[1].msg_id == 4);
  // That one is in flight now: the next waits again.
  CHECK_FALSE(l.arrive(cursor("ack", "c1", 6)));
  auto m = l.done(n->frame);
  REQUIRE(m);
  CHECK(m->frame.msg_id == 6);
  CHECK(m->folded.empty());
  // Nothing waits: the lane is free, and the next goes at once.
  CHECK_FALSE(l.done(m->frame));
  CHECK(l.arrive(cursor("ack", "c1", 8)));
  CHECK_FALSE(l.done(cursor("read", "c1", 2)));
  CHECK_FALSE(l.done(cursor("ack", "c2", 7)));
  CHECK(l.lanes() == 1);
}
