#include "actors/request_lanes.hpp"

#include <catch2/catch.hpp>

using namespace switchboard::actors;

namespace {

client_frame frame(const std::string& type, const std::string& conv,
                   std::uint64_t msg_id) {
  client_frame f;
  if (type == "send")
    f.req = request::send{conv, "m" + std::to_string(msg_id), "hi"};
  else
    f.req = request::cursor{conv, msg_id, type == "read"};
  f.rid = type + std::to_string(msg_id);
  return f;
}

}  // namespace

TEST_CASE("frames that come while their lane is busy wait, in order",
          "[request_lanes]") {
  request_lanes l;
  auto first = frame("ack", "c1", 1);
  CHECK(l.arrive(first));
  CHECK_FALSE(l.arrive(frame("ack", "c1", 3)));
  CHECK_FALSE(l.arrive(frame("ack", "c1", 5)));
  CHECK_FALSE(l.arrive(frame("ack", "c1", 4)));
  // Other conversations and types have lanes of their own.
  CHECK(l.arrive(frame("read", "c1", 2)));
  CHECK(l.arrive(frame("ack", "c2", 7)));
  CHECK(l.arrive(frame("send", "c1", 0)));
  CHECK(l.lanes() == 4);

  auto waited = l.done(first);
  REQUIRE(waited.size() == 3);
  CHECK(*waited[0].rid == "ack3");
  CHECK(*waited[1].rid == "ack5");
  CHECK(*waited[2].rid == "ack4");
  // Those are in flight now: the next waits again.
  CHECK_FALSE(l.arrive(frame("ack", "c1", 6)));
  auto next = l.done(first);
  REQUIRE(next.size() == 1);
  CHECK(std::get<request::cursor>(next[0].req).msg_id == 6);
  // Nothing waits: the lane is free, and the next goes at once.
  CHECK(l.done(first).empty());
  CHECK(l.arrive(frame("ack", "c1", 8)));
  CHECK(l.done(frame("read", "c1", 2)).empty());
  CHECK(l.done(frame("ack", "c2", 7)).empty());
  CHECK(l.done(frame("send", "c1", 0)).empty());
  CHECK(l.lanes() == 1);
}
