#include "actors/frame.hpp"

#include <catch2/catch.hpp>

using namespace switchboard::actors;

namespace {
parsed_frame parse(const std::string& text) {
  return parse_frame(text, "alice", limits{});
}

// The request of a frame that parsed, as type R (a failed check when it
// is of another type).
template <class R>
const R& as(const parsed_frame& p) {
  REQUIRE(p.frame.has_value());
  auto* r = std::get_if<R>(&p.frame->req);
  REQUIRE(r != nullptr);
  return *r;
}
}  // namespace

TEST_CASE("a send frame is parsed with its fields and rid", "[frame]") {
  auto p = parse(
      R"({"type":"send","rid":"r1","conv_id":"c","client_msg_id":"m","body":"hi"})");
  auto& r = as<request::send>(p);
  CHECK(p.frame->type() == "send");
  CHECK(p.frame->rid == std::optional<std::string>("r1"));
  CHECK(p.frame->conv_id() == "c");
  CHECK(r.client_msg_id == "m");
  CHECK(r.body == "hi");
}

TEST_CASE("a direct create may name the creator too", "[frame]") {
  auto p =
      parse(R"({"type":"create","kind":"direct","members":["alice","bob"]})");
  CHECK(as<request::create>(p).members ==
        std::vector<std::string>{"alice", "bob"});
  CHECK_FALSE(
      parse(R"({"type":"create","kind":"direct","members":["alice"]})").frame);
}

TEST_CASE("a direct create's title is checked, then dropped", "[frame]") {
  CHECK_FALSE(
      parse(R"({"type":"create","kind":"direct","members":["bob"],"title":5})")
          .frame.has_value());
  auto p = parse(
      R"({"type":"create","kind":"direct","members":["bob"],"title":"T"})");
  CHECK(as<request::create>(p).title.empty());
}

TEST_CASE("a direct create gets both members, the creator first", "[frame]") {
  auto p = parse(R"({"type":"create","kind":"direct","members":["bob"]})");
  CHECK(as<request::create>(p).members ==
        std::vector<std::string>{"alice", "bob"});
}

TEST_CASE("a group create adds the creator once and drops repeats", "[frame]") {
  auto p = parse(
      R"({"type":"create","kind":"group","members":["bob","alice","bob"],"title":"T"})");
  auto& r = as<request::create>(p);
  CHECK(r.members == std::vector<std::string>{"alice", "bob"});
  CHECK(r.title == "T");
}

TEST_CASE("sync takes after or before, and a limit within the page size",
          "[frame]") {
  auto p = parse(R"({"type":"sync","conv_id":"c","after":5,"limit":10})");
  auto& r = as<request::sync>(p);
  CHECK(r.has_after);
  CHECK(r.after == 5);
  CHECK(r.limit == 10);
  CHECK(as<request::sync>(parse(R"({"type":"sync","conv_id":"c"})")).limit ==
        50);
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
    CHECK(p.err.wire() == "bad_request");
    CHECK_FALSE(p.err.message.empty());
  }
  auto p = parse(R"({"type":"x","rid":"abc"})");
  CHECK(p.rid == std::optional<std::string>("abc"));
}

TEST_CASE("deeply nested JSON is refused, not recursed into", "[frame]") {
  std::string deep(10000, '[');
  CHECK(parse(deep).err.wire() == "bad_request");
}

TEST_CASE(
    "a body over max_body still parses: too_large is the conversation's call",
    "[frame]") {
  auto p =
      parse(R"({"type":"send","conv_id":"c","client_msg_id":"m","body":")" +
            std::string(5000, 'x') + "\"}");
  CHECK(as<request::send>(p).body.size() == 5000);
}

TEST_CASE("each request type parses to its own struct, and says its wire name",
          "[frame]") {
  CHECK(parse(R"({"type":"ping"})").frame->type() == "ping");
  CHECK(parse(R"({"type":"conversations"})").frame->type() == "conversations");
  auto ack = parse(R"({"type":"ack","conv_id":"c","msg_id":3})");
  CHECK(ack.frame->type() == "ack");
  CHECK(as<request::cursor>(ack).msg_id == 3);
  CHECK_FALSE(as<request::cursor>(ack).read);
  auto read = parse(R"({"type":"read","conv_id":"c","msg_id":4})");
  CHECK(read.frame->type() == "read");
  CHECK(as<request::cursor>(read).read);
  CHECK(as<request::typing>(parse(R"({"type":"typing","conv_id":"c"})"))
            .conv_id == "c");
  auto m = parse(R"({"type":"members","conv_id":"c","add":["bob"]})");
  CHECK(as<request::members>(m).add == std::vector<std::string>{"bob"});
  CHECK(m.frame->conv_id() == "c");
  auto r = parse(R"({"type":"receipts","conv_id":"c","user_ids":["bob"]})");
  CHECK(as<request::receipts>(r).user_ids == std::vector<std::string>{"bob"});
  auto pr = parse(R"({"type":"presence","user_ids":["bob"],"subscribe":true})");
  CHECK(as<request::presence>(pr).subscribe);
  CHECK(pr.frame->conv_id().empty());  // presence is for no conversation
}
