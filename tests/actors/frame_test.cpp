#include "actors/frame.hpp"

#include <catch2/catch.hpp>

using namespace switchboard::actors;

namespace {
parsed_frame parse(const std::string& text) {
  return parse_frame(text, "alice", limits{});
}
}  // namespace

TEST_CASE("a send frame is parsed with its fields and rid", "[frame]") {
  auto p = parse(
      R"({"type":"send","rid":"r1","conv_id":"c","client_msg_id":"m","body":"hi"})");
  REQUIRE(p.frame.has_value());
  CHECK(p.frame->type == "send");
  CHECK(p.frame->rid == std::optional<std::string>("r1"));
  CHECK(p.frame->conv_id == "c");
  CHECK(p.frame->body == "hi");
}

TEST_CASE("a direct create may name the creator too", "[frame]") {
  auto p =
      parse(R"({"type":"create","kind":"direct","members":["alice","bob"]})");
  REQUIRE(p.frame.has_value());
  CHECK(p.frame->members == std::vector<std::string>{"alice", "bob"});
  CHECK_FALSE(
      parse(R"({"type":"create","kind":"direct","members":["alice"]})").frame);
}

TEST_CASE("a direct create gets both members, the creator first", "[frame]") {
  auto p = parse(R"({"type":"create","kind":"direct","members":["bob"]})");
  REQUIRE(p.frame.has_value());
  CHECK(p.frame->members == std::vector<std::string>{"alice", "bob"});
}

TEST_CASE("a group create adds the creator once and drops repeats", "[frame]") {
  auto p = parse(
      R"({"type":"create","kind":"group","members":["bob","alice","bob"],"title":"T"})");
  REQUIRE(p.frame.has_value());
  CHECK(p.frame->members == std::vector<std::string>{"alice", "bob"});
  CHECK(p.frame->title == "T");
}

TEST_CASE("sync takes after or before, and a limit within the page size",
          "[frame]") {
  auto p = parse(R"({"type":"sync","conv_id":"c","after":5,"limit":10})");
  REQUIRE(p.frame.has_value());
  CHECK(p.frame->has_after);
  CHECK(p.frame->after == 5);
  CHECK(p.frame->limit == 10);
  CHECK(parse(R"({"type":"sync","conv_id":"c"})").frame->limit == 50);
  CHECK_FALSE(
      parse(R"({"type":"sync","conv_id":"c","limit":201})").frame.has_value());
  CHECK_FALSE(parse(R"({"type":"sync","conv_id":"c","after":1,"before":2})")
                  .frame.has_value());
  CHECK_FALSE(
      parse(R"({"type":"sync","conv_id":"c","after":1.5})").frame.has_value());
}

TEST_CASE("bad frames are bad_request, with the rid when it is valid",
          "[frame]") {
  for (std::string t :
       {"", "nope", "[]", "{}", R"({"type":1})", R"({"type":"x"})",
        R"({"type":"send","conv_id":"c","client_msg_id":"m"})",
        R"({"type":"ack","conv_id":"c","msg_id":"1"})",
        R"({"type":"members","conv_id":"c"})",
        R"({"type":"presence","user_ids":["ok","not ok"]})",
        R"({"type":"ping","rid":5})"}) {
    INFO(t);
    auto p = parse(t);
    CHECK_FALSE(p.frame.has_value());
    CHECK(p.err.code == "bad_request");
    CHECK_FALSE(p.err.message.empty());
  }
  auto p = parse(R"({"type":"x","rid":"abc"})");
  CHECK(p.rid == std::optional<std::string>("abc"));
}

TEST_CASE("deeply nested JSON is refused, not recursed into", "[frame]") {
  std::string deep(10000, '[');
  CHECK(parse(deep).err.code == "bad_request");
}

TEST_CASE(
    "a body over max_body still parses: too_large is the conversation's call",
    "[frame]") {
  auto p =
      parse(R"({"type":"send","conv_id":"c","client_msg_id":"m","body":")" +
            std::string(5000, 'x') + "\"}");
  REQUIRE(p.frame.has_value());
  CHECK(p.frame->body.size() == 5000);
}
