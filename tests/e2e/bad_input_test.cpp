#include "tests/e2e/e2e_fixture.hpp"

using namespace switchboard::testing;

namespace {
void expect_error(ws_client& c, const std::string& text,
                  const std::string& code) {
  c.send(text);
  auto e = c.expect("error");
  INFO(text);
  CHECK(e["code"] == code.c_str());
  CHECK(e["message"].as_string().size() > 0);
}
}  // namespace

TEST_CASE_METHOD(
    e2e_fixture,
    "malformed frames get bad_request and the connection stays usable",
    "[e2e][bad_input]") {
  auto c = connect("alice");
  expect_error(*c, "not json", "bad_request");
  expect_error(*c, "[1,2]", "bad_request");
  expect_error(*c, "{}", "bad_request");
  expect_error(*c, R"({"type":42})", "bad_request");
  expect_error(*c, R"({"type":"teleport"})", "bad_request");
  expect_error(*c, R"({"type":"send","conv_id":"x","client_msg_id":"1"})",
               "bad_request");
  expect_error(*c,
               R"({"type":"send","conv_id":"x","client_msg_id":"1","body":7})",
               "bad_request");
  expect_error(*c,
               R"({"type":"send","conv_id":"x","client_msg_id":"","body":"b"})",
               "bad_request");
  expect_error(*c, R"({"type":"ack","conv_id":"x","msg_id":-1})",
               "bad_request");
  expect_error(*c, R"({"type":"create","kind":"direct","members":["alice"]})",
               "bad_request");
  expect_error(*c, R"({"type":"create","kind":"direct","members":["a","b"]})",
               "bad_request");
  expect_error(*c, R"({"type":"create","kind":"circle","members":[]})",
               "bad_request");
  expect_error(*c, R"({"type":"create","kind":"group","members":["bad id"]})",
               "bad_request");
  expect_error(*c, R"({"type":"presence","user_ids":[]})", "bad_request");
  expect_error(*c,
               R"({"type":"presence","user_ids":["bob"],"subscribe":"yes"})",
               "bad_request");
  auto e = c->request({{"type", "nope"}});
  CHECK(e["code"] == "bad_request");  // and it carries the rid
  // A binary frame, even of JSON: frames are UTF-8 JSON text.
  c->send_binary(R"({"type":"ping"})");
  auto b = c->expect("error");
  CHECK(b["code"] == "bad_request");
  CHECK(b["message"] == "frames must be UTF-8 JSON text");
  CHECK_FALSE(b.contains("rid"));
  CHECK_FALSE(c->has("pong"));
  CHECK(c->request({{"type", "ping"}})["type"] == "pong");
}

TEST_CASE_METHOD(e2e_fixture,
                 "unknown conversations, non-members and large bodies",
                 "[e2e][bad_input]") {
  auto alice = connect("alice");
  auto mallory = connect("mallory");
  auto conv = create(*alice, "group", {"bob"});
  // A conversation that does not exist looks like one of others.
  CHECK(send(*alice, "gdoesnotexist", "x", "1")["code"] == "forbidden");
  CHECK(alice->request({{"type", "sync"},
                        {"conv_id", "gdoesnotexist"}})["code"] == "forbidden");
  CHECK(send(*mallory, conv, "x", "1")["code"] == "forbidden");
  CHECK(mallory->request({{"type", "sync"}, {"conv_id", conv}})["code"] ==
        "forbidden");
  auto big = std::string(4097, 'x');
  CHECK(send(*alice, conv, big, "2")["code"] == "too_large");
  // The first error in the protocol's order wins: forbidden before too_large.
  CHECK(send(*mallory, conv, big, "3")["code"] == "forbidden");
  CHECK(send(*alice, conv, std::string(4096, 'x'), "4")["msg_id"] == 1);
  // Nothing of the refused sends reached the log.
  auto h = alice->request({{"type", "sync"}, {"conv_id", conv}});
  CHECK(h["messages"].as_array().size() == 1);
}

TEST_CASE("a flood is rate limited, and a duplicate takes no token",
          "[e2e][bad_input]") {
  e2e_fixture f({"--send-rate", "1", "--send-burst", "3"});
  auto alice = f.connect("alice");
  auto conv = e2e_fixture::create(*alice, "direct", {"bob"});
  for (int i = 1; i <= 3; ++i)
    CHECK(e2e_fixture::send(*alice, conv, "m", std::to_string(i))["type"] ==
          "sent");
  auto limited = e2e_fixture::send(*alice, conv, "m", "4");
  CHECK(limited["code"] == "rate_limited");
  CHECK(json::value_to<std::int64_t>(limited["retry_after_ms"]) > 0);
  CHECK(e2e_fixture::send(*alice, conv, "m", "2")["duplicate"] == true);
  // The bucket is the user's, not the connection's.
  auto alice2 = f.connect("alice");
  CHECK(e2e_fixture::send(*alice2, conv, "m", "5")["code"] == "rate_limited");
}

TEST_CASE_METHOD(e2e_fixture, "a frame over max_frame closes with 1009",
                 "[e2e][bad_input]") {
  auto c = connect("alice");
  c->send(std::string(70000, 'x'));
  CHECK(c->wait_closed(5s) == 1009);
  // Another user's session is untouched.
  auto bob = connect("bob");
  CHECK(bob->request({{"type", "ping"}})["type"] == "pong");
}

TEST_CASE_METHOD(e2e_fixture, "invalid UTF-8 closes with 1007",
                 "[e2e][bad_input]") {
  auto c = connect("alice");
  c->send(std::string("{\"type\":\"ping\",\"x\":\"\xff\xfe\"}"));
  CHECK(c->wait_closed(5s) == 1007);
}

TEST_CASE("a client that stops reading is dropped and loses nothing",
          "[e2e][bad_input]") {
  e2e_fixture f({"--max-queue", "256", "--max-body", "16384", "--send-rate",
                 "100000", "--send-burst", "100000"});
  auto alice = f.connect("alice");
  auto bob = f.connect("bob");
  auto conv = e2e_fixture::create(*alice, "direct", {"bob"});
  bob->stop_reading();
  // 32 MB: more than the kernel's socket buffers hold on loopback.
  const int n = 2000;
  std::string body(16000, 'y');
  // alice sends in windows of 50, within her own queue's cap; every send
  // is acknowledged whatever bob does.
  for (int i = 1; i <= n; i += 50) {
    for (int j = i; j < i + 50; ++j)
      alice->send(json::object{{"type", "send"},
                               {"conv_id", conv},
                               {"client_msg_id", std::to_string(j)},
                               {"body", body}});
    for (int j = i; j < i + 50; ++j)
      REQUIRE(alice->expect("sent", 30s)["type"] == "sent");
  }
  bob->resume_reading();
  CHECK(bob->wait_closed(30s).has_value());
  auto again = f.connect("bob");
  // Nothing lost, nothing twice, in order.
  auto ids = e2e_fixture::history_ids(*again, conv);
  REQUIRE(ids.size() == static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < ids.size(); ++i) REQUIRE(ids[i] == i + 1);
}

TEST_CASE_METHOD(e2e_fixture,
                 "a non-member cannot tell a direct conversation from none",
                 "[e2e][bad_input][privacy]") {
  auto alice = connect("alice");
  auto mallory = connect("mallory");
  auto conv = create(*alice, "direct", {"bob"});
  send(*alice, conv, "secret plans", "1");
  // Mallory has the real id (say, from a leaked link) and a made-up one of
  // the same shape: every answer is the same.
  std::string fake = "d" + std::string(32, '0');
  for (auto* type : {"send", "sync", "ack", "read", "typing", "members"}) {
    auto probe = [&](const std::string& id) {
      json::object f{{"type", type}, {"conv_id", id}};
      if (std::string(type) == "send") {
        f["client_msg_id"] = "x";
        f["body"] = "hi";
      } else if (std::string(type) == "ack" || std::string(type) == "read") {
        f["msg_id"] = 1;
      } else if (std::string(type) == "members") {
        f["add"] = json::array{"mallory"};
      }
      return mallory->request(f);
    };
    auto real = probe(conv);
    auto none = probe(fake);
    real.erase("rid");
    none.erase("rid");
    INFO(type << ": " << json::serialize(real) << " vs "
              << json::serialize(none));
    CHECK(real["code"] == "forbidden");
    CHECK(real == none);
  }
  // Over REST too.
  auto get = [&](const std::string& id) {
    return http_request(node.port(), "GET",
                        "/v1/conversations/" + id + "/messages", {},
                        "Bearer " + node.token("mallory"));
  };
  auto real = get(conv), none = get(fake);
  CHECK(real.status == 403);
  CHECK(real.status == none.status);
  CHECK(real.body == none.body);
}
