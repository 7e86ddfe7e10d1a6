#include "storage/records.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <new>

using namespace switchboard::storage;

// The largest single allocation this thread asked for while `tracking`
// was set: this binary's operator new records it, so that a test can see
// what a decoder allocates, not only what it returns.
namespace {
thread_local bool tracking = false;
thread_local std::size_t largest_allocation = 0;
}  // namespace

void* operator new(std::size_t n) {
  if (tracking && n > largest_allocation) largest_allocation = n;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

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

TEST_CASE("a corrupt string length allocates no more than the record holds",
          "[records]") {
  // The encoding of {"group", ...} with the length of "group" (5) made
  // 2^40 + 5: cereal's own string load reserved a terabyte for it.
  auto bytes = encode(conversation_meta{"group", "", "", 0});
  REQUIRE(bytes.substr(5, 8) == std::string("\x05\0\0\0\0\0\0\0", 8));
  bytes[10] = '\x01';
  tracking = true;
  largest_allocation = 0;
  auto d = decode_conversation_meta(bytes);
  tracking = false;
  REQUIRE_FALSE(d.has_value());
  CHECK(d.err().code == errc::corruption);
  CHECK(largest_allocation < 4096);
}
