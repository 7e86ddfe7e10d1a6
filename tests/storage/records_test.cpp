#include "storage/records.hpp"

#include <catch2/catch.hpp>

using namespace switchboard::storage;

TEST_CASE("conversation metadata round-trips", "[records]") {
  conversation_meta m{"group", "Friends", "alice", 1234};
  auto d = decode_conversation_meta(encode(m));
  REQUIRE(d.has_value());
  CHECK(d->kind == "group");
  CHECK(d->title == "Friends");
  CHECK(d->creator == "alice");
  CHECK(d->created_ms == 1234);
}

TEST_CASE("member state, devices and push jobs round-trip", "[records]") {
  auto ms = decode_member_state(encode(member_state{7, 5, 99}));
  REQUIRE(ms.has_value());
  CHECK(ms->delivered_upto == 7);
  CHECK(ms->read_upto == 5);
  CHECK(ms->joined_ms == 99);

  auto dv = decode_device(encode(device{"fcm", "tok", 3}));
  REQUIRE(dv.has_value());
  CHECK(dv->platform == "fcm");
  CHECK(dv->token == "tok");

  auto pj =
      decode_push_job(encode(push_job{"bob", "c1", 4, "alice", "hi", 8, 2}));
  REQUIRE(pj.has_value());
  CHECK(pj->user_id == "bob");
  CHECK(pj->msg_id == 4);
  CHECK(pj->attempts == 2);
}

TEST_CASE("garbage is corruption, not a crash", "[records]") {
  for (std::string bytes : {std::string(), std::string("\x01"),
                            std::string(40, '\xff'), std::string("hello")}) {
    auto d = decode_conversation_meta(bytes);
    REQUIRE_FALSE(d.has_value());
    CHECK(d.err().code == errc::corruption);
  }
  auto truncated = encode(member_state{1, 2, 3});
  truncated.pop_back();
  auto d = decode_member_state(truncated);
  REQUIRE_FALSE(d.has_value());
  CHECK(d.err().code == errc::corruption);
}
