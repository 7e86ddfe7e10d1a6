#include "bench/harness/frame_reader.hpp"

#include <catch2/catch.hpp>

using namespace switchboard::bench;

TEST_CASE("the frame reader keeps the top-level members the harness reads",
          "[bench]") {
  frame_reader r;
  frame_fields f;
  REQUIRE(r.read(R"({"type":"sent","rid":"bench-1-7","conv_id":"d\"x\\y",)"
                 R"("msg_id":42,"client_msg_id":"bench-1-7","ts":1,)"
                 R"("duplicate":true})",
                 f));
  CHECK(f.type == "sent");
  CHECK(f.rid == "bench-1-7");
  CHECK(f.conv_id == "d\"x\\y");  // escapes undone
  CHECK(f.has_msg_id);
  CHECK(f.msg_id == 42);
  CHECK(f.duplicate);
  // The same reader, the next frame: nothing carries over.
  REQUIRE(
      r.read(R"({"type":"message","body":"1234567890123 xxxxxxxxxxxxxxxxxx",)"
             R"("msg_id":3})",
             f));
  CHECK(f.type == "message");
  CHECK(f.rid.empty());
  CHECK_FALSE(f.duplicate);
  CHECK(f.body_head == "1234567890123 xxxxxxxxxx");  // the first 24 bytes
}

TEST_CASE("nested values are skipped, and their keys do not leak out",
          "[bench]") {
  frame_reader r;
  frame_fields f;
  REQUIRE(r.read(R"({"members":["a",{"type":"x","msg_id":9}],"type":"created",)"
                 R"("nested":{"rid":"no"},"rid":"create-3"})",
                 f));
  CHECK(f.type == "created");
  CHECK(f.rid == "create-3");
  CHECK_FALSE(f.has_msg_id);
}

TEST_CASE("anything but one JSON object is refused", "[bench]") {
  frame_reader r;
  frame_fields f;
  CHECK_FALSE(r.read("[1,2]", f));
  CHECK_FALSE(r.read("\"text\"", f));
  CHECK_FALSE(r.read("42", f));
  CHECK_FALSE(r.read("{\"type\":", f));
  CHECK_FALSE(r.read("{} {}", f));
  CHECK_FALSE(r.read("not json", f));
  CHECK(r.read(" {\"type\":\"pong\"} ", f));
  CHECK(f.type == "pong");
}
