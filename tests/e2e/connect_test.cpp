#include "tests/e2e/e2e_fixture.hpp"

using namespace switchboard::testing;

TEST_CASE_METHOD(e2e_fixture,
                 "a client with a valid token gets welcome and pong",
                 "[e2e][connect]") {
  ws_client c(node.port(), node.token("alice"));
  CHECK_FALSE(c.session_id.empty());
  auto pong = c.request({{"type", "ping"}});
  CHECK(pong["type"] == "pong");
}

TEST_CASE_METHOD(e2e_fixture, "the token may come in the Authorization header",
                 "[e2e][connect]") {
  ws_client c(node.port(), node.token("alice"), true);
  CHECK(c.request({{"type", "ping"}})["type"] == "pong");
}

TEST_CASE("welcome carries user, session, node and heartbeat",
          "[e2e][connect]") {
  e2e_fixture f({"--node-id", "east-1", "--heartbeat-s", "7"});
  ws_client a(f.node.port(), f.node.token("bob"));
  ws_client b(f.node.port(), f.node.token("bob"));
  CHECK(a.welcome["user_id"] == "bob");
  CHECK(a.welcome["node"] == "east-1");
  CHECK(a.welcome["heartbeat_s"] == 7);
  CHECK(a.session_id != b.session_id);
}

TEST_CASE_METHOD(e2e_fixture,
                 "bad tokens are refused with 401 before the upgrade",
                 "[e2e][connect]") {
  auto upgrade = [&](const std::string& target, const std::string& auth = {}) {
    return http_request(node.port(), "GET", target, {}, auth, true).status;
  };
  CHECK(upgrade("/v1/ws") == 401);
  CHECK(upgrade("/v1/ws?token=garbage") == 401);
  CHECK(upgrade("/v1/ws?token=" + node.token("alice", -120)) ==
        401);  // expired
  // Signed with another secret.
  auto other = switchboard::auth::sign_token("other", {"alice", 4102444800});
  CHECK(upgrade("/v1/ws?token=" + other) == 401);
  // alg none: header {"alg":"none"}, valid payload, no signature.
  CHECK(upgrade("/v1/"
                "ws?token=eyJhbGciOiJub25lIn0."
                "eyJzdWIiOiJhbGljZSIsImV4cCI6NDEwMjQ0NDgwMH0.") == 401);
  CHECK(upgrade("/v1/ws", "Bearer nope") == 401);
  CHECK(upgrade("/v1/ws?token=" + node.token("alice")) == 101);
  // A token for an invalid user id.
  CHECK(upgrade("/v1/ws?token=" + node.token("no spaces")) == 401);
  CHECK(upgrade("/v2/ws?token=" + node.token("alice")) == 404);
  // The refusals carry the protocol's error body, with the reason.
  auto r =
      http_request(node.port(), "GET", "/v1/ws?token=garbage", {}, {}, true);
  CHECK(r.json()["error"].as_object()["code"] == "unauthorized");
  CHECK(!r.json()["error"].as_object()["message"].as_string().empty());
  auto missing = http_request(node.port(), "GET", "/v2/ws", {}, {}, true);
  CHECK(missing.json()["error"].as_object()["code"] == "not_found");
}

TEST_CASE_METHOD(e2e_fixture, "a node stops cleanly with connections open",
                 "[e2e][connect]") {
  ws_client a(node.port(), node.token("alice"));
  http_request(node.port(), "GET", "/v1/ws?token=" + node.token("bob"), {}, {},
               true);
  CHECK(node.stop() == 0);
}

TEST_CASE_METHOD(e2e_fixture, "health is served on the same port",
                 "[e2e][connect]") {
  auto r = http_request(node.port(), "GET", "/healthz");
  CHECK(r.status == 200);
  CHECK(http_request(node.port(), "GET", "/nope").status == 404);
}

TEST_CASE("a silent connection is closed after twice the heartbeat",
          "[e2e][connect]") {
  e2e_fixture f({"--heartbeat-s", "1"});
  ws_client c(f.node.port(), f.node.token("alice"));
  auto code = c.wait_closed(10s);
  CHECK(code.has_value());
}

TEST_CASE(
    "a heartbeat of JSON pings or WebSocket pings keeps a connection open",
    "[e2e][connect]") {
  e2e_fixture f({"--heartbeat-s", "1"});
  ws_client json_pings(f.node.port(), f.node.token("alice"));
  ws_client ws_pings(f.node.port(), f.node.token("bob"));
  // Four seconds, twice the allowed silence, with a heartbeat every 500 ms:
  // each wait is for a close that must not come.
  for (int i = 0; i < 8; ++i) {
    json_pings.send(R"({"type":"ping"})");
    ws_pings.ping();
    CHECK_FALSE(json_pings.wait_closed(500ms).has_value());
    CHECK_FALSE(ws_pings.wait_closed(1ms).has_value());
  }
  CHECK(json_pings.request({{"type", "ping"}})["type"] == "pong");
}
