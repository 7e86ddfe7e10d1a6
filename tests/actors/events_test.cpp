#include "actors/events.hpp"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include "actors/json_writer.hpp"

using namespace switchboard::actors;
namespace json = boost::json;

namespace {

json::object parsed(const std::string& text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  INFO(text);
  REQUIRE_FALSE(ec);
  REQUIRE(v.is_object());
  return v.as_object();
}

}  // namespace

TEST_CASE("the JSON writer escapes what JSON requires and keeps UTF-8",
          "[events]") {
  std::string nasty = "q\" b\\ nl\n tab\t nul";
  nasty.push_back('\0');
  nasty += " \x01\x1f caf\xc3\xa9 \xf0\x9f\x98\x80";
  json_writer w;
  auto text = w.str("s", nasty)
                  .num("big", std::uint64_t{18446744073709551615u})
                  .num("neg", std::int64_t{-42})
                  .boolean("t", true)
                  .null("n")
                  .strings("list", {"a", "\"b\""})
                  .raw("inner", "{\"x\":1}")
                  .done();
  auto o = parsed(text);
  CHECK(o["s"].as_string() == json::string_view(nasty.data(), nasty.size()));
  CHECK(o["big"].as_uint64() == 18446744073709551615u);
  CHECK(o["neg"].as_int64() == -42);
  CHECK(o["t"].as_bool());
  CHECK(o["n"].is_null());
  CHECK(o["list"].as_array().size() == 2);
  CHECK(o["list"].as_array()[1].as_string() == "\"b\"");
  CHECK(o["inner"].as_object()["x"].as_int64() == 1);
  CHECK(text.find("\\u0000") != std::string::npos);
  CHECK(text.find("caf\xc3\xa9") != std::string::npos);  // not \u-escaped
}

TEST_CASE("every escape is found wherever it stands in a long string",
          "[events]") {
  for (char special : {'"', '\\', '\n', '\x01', '\x1f'}) {
    for (std::size_t at = 0; at < 40; ++at) {
      // UTF-8 at the end, where an insertion cannot split it.
      std::string s = "0123456789abcdefghijklmnopqrstuvwxyz caf\xc3\xa9";
      s.insert(s.begin() + static_cast<std::ptrdiff_t>(at), special);
      json_writer w;
      auto o = parsed(w.str("s", s).done());
      INFO("at " << at << " char " << int(special));
      CHECK(o["s"].as_string() == json::string_view(s.data(), s.size()));
    }
  }
}

TEST_CASE("a message event carries every field a client reads", "[events]") {
  chat_message m{"c1", 7, "alice", "hi \"bob\"\n", 1700000000000, "m-1"};
  auto o = parsed(events::message(m));
  CHECK(o["type"].as_string() == "message");
  CHECK(o["conv_id"].as_string() == "c1");
  CHECK(o["msg_id"].to_number<std::uint64_t>() == 7);
  CHECK(o["sender"].as_string() == "alice");
  CHECK(o["body"].as_string() == "hi \"bob\"\n");
  CHECK(o["ts"].to_number<std::int64_t>() == 1700000000000);
  CHECK(o["client_msg_id"].as_string() == "m-1");
}

TEST_CASE("answers carry their rid, events none", "[events]") {
  auto o = parsed(events::sent(std::string("r\"1"), "c1", "m-1",
                               send_reply{{}, 3, 99, true}));
  CHECK(o["type"].as_string() == "sent");
  CHECK(o["rid"].as_string() == "r\"1");
  CHECK(o["msg_id"].to_number<int>() == 3);
  CHECK(o["duplicate"].as_bool());
  CHECK_FALSE(parsed(events::pong(std::nullopt)).contains("rid"));
  auto r = parsed(events::receipt("c1", "bob", true, 5));
  CHECK(r["state"].as_string() == "read");
  CHECK_FALSE(r.contains("rid"));
  auto e = parsed(
      events::error(std::string("x"),
                    proto_error{proto_code::rate_limited, "slow down", 250}));
  CHECK(e["retry_after_ms"].to_number<int>() == 250);
  CHECK_FALSE(parsed(events::error(std::nullopt,
                                   proto_error{proto_code::forbidden, "no"}))
                  .contains("retry_after_ms"));
}

TEST_CASE("history and presence hold arrays of objects", "[events]") {
  history_reply h;
  h.messages.push_back(chat_message{"c1", 1, "a", "x", 1, "m1"});
  h.messages.push_back(chat_message{"c1", 2, "b", "y", 2, "m2"});
  h.has_more = true;
  auto o = parsed(events::history(std::nullopt, "c1", h));
  REQUIRE(o["messages"].as_array().size() == 2);
  CHECK(o["messages"].as_array()[1].as_object()["body"].as_string() == "y");
  CHECK(o["has_more"].as_bool());
  CHECK(parsed(events::history(std::nullopt, "c1", {}))["messages"]
            .as_array()
            .empty());
  auto p =
      parsed(events::presence(std::nullopt, {{"a", true, 5}, {"b", false, 0}}));
  auto& st = p["statuses"].as_array();
  CHECK(st[0].as_object()["last_seen"].to_number<int>() == 5);
  CHECK(st[1].as_object()["last_seen"].is_null());
}
