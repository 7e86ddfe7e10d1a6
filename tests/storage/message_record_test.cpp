#include "storage/message_record.hpp"

#include <catch2/catch.hpp>

using namespace switchboard::storage;

TEST_CASE("a message survives encoding and decoding", "[message_record]") {
  message m{42, "alice", "hello \xE2\x9C\x93", -5, "cmid-1"};
  auto d = decode_message(42, encode_message(m));
  REQUIRE(d.has_value());
  CHECK(d->msg_id == 42);
  CHECK(d->sender == "alice");
  CHECK(d->body == "hello \xE2\x9C\x93");
  CHECK(d->ts_ms == -5);
  CHECK(d->client_msg_id == "cmid-1");
}

TEST_CASE("a large body and timestamp round-trip", "[message_record]") {
  message m{1, "bob", std::string(70000, 'z'), 1'800'000'000'000, ""};
  auto d = decode_message(1, encode_message(m));
  REQUIRE(d.has_value());
  CHECK(d->body.size() == 70000);
  CHECK(d->ts_ms == 1'800'000'000'000);
  CHECK(d->client_msg_id.empty());
}

TEST_CASE("an unknown record version is corruption", "[message_record]") {
  auto bytes = encode_message(message{1, "a", "b", 1, "c"});
  bytes[0] = 9;
  auto d = decode_message(1, bytes);
  REQUIRE_FALSE(d.has_value());
  CHECK(d.err().code == errc::corruption);
}

TEST_CASE("every truncation of a record is corruption", "[message_record]") {
  auto bytes = encode_message(message{1, "alice", "body", 77, "cmid"});
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    auto d = decode_message(1, std::string_view(bytes).substr(0, n));
    REQUIRE_FALSE(d.has_value());
    CHECK(d.err().code == errc::corruption);
  }
}

TEST_CASE("trailing bytes after a record are corruption", "[message_record]") {
  auto bytes = encode_message(message{1, "alice", "body", 77, "cmid"}) + "x";
  auto d = decode_message(1, bytes);
  REQUIRE_FALSE(d.has_value());
  CHECK(d.err().code == errc::corruption);
}
