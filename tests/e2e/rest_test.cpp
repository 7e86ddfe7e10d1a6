#include "tests/e2e/e2e_fixture.hpp"

using namespace switchboard::testing;

namespace {

struct rest_fixture : e2e_fixture {
  using e2e_fixture::e2e_fixture;

  http_result call(const std::string& user, const std::string& method,
                   const std::string& target, const std::string& body = {}) {
    return http_request(node.port(), method, target, body,
                        "Bearer " + node.token(user));
  }
  http_result call(const std::string& user, const std::string& method,
                   const std::string& target, const json::object& body) {
    return call(user, method, target, json::serialize(body));
  }
  static void expect_error(const http_result& r, int status,
                           const std::string& code) {
    INFO(r.body);
    CHECK(r.status == status);
    auto o = r.json();
    REQUIRE(o.contains("error"));
    CHECK(o["error"].as_object()["code"] == code.c_str());
    CHECK(o["error"].as_object()["message"].as_string().size() > 0);
  }
};

}  // namespace

TEST_CASE_METHOD(rest_fixture,
                 "a backend creates, sends and reads history over REST",
                 "[e2e][rest]") {
  auto created = call("alice", "POST", "/v1/conversations",
                      json::object{{"kind", "direct"}, {"members", {"bob"}}});
  REQUIRE(created.status == 201);
  auto conv = str(created.json()["conv_id"]);
  auto again = call("bob", "POST", "/v1/conversations",
                    json::object{{"kind", "direct"}, {"members", {"alice"}}});
  CHECK(again.status == 200);
  CHECK(again.json()["existed"] == true);

  auto bob = connect("bob");
  auto sent =
      call("alice", "POST", "/v1/conversations/" + conv + "/messages",
           json::object{{"client_msg_id", "r1"}, {"body", "over rest"}});
  REQUIRE(sent.status == 201);
  CHECK(sent.json()["msg_id"] == 1);
  CHECK(sent.json().contains("ts"));
  // Delivered live over WebSocket like any other message.
  CHECK(bob->expect("message")["body"] == "over rest");
  auto dup = call("alice", "POST", "/v1/conversations/" + conv + "/messages",
                  json::object{{"client_msg_id", "r1"}, {"body", "over rest"}});
  CHECK(dup.status == 200);
  CHECK(dup.json()["msg_id"] == 1);

  send(*bob, conv, "reply", "b1");
  auto h = call("alice", "GET",
                "/v1/conversations/" + conv + "/messages?after=0&limit=1");
  REQUIRE(h.status == 200);
  CHECK(h.json()["messages"].as_array().size() == 1);
  CHECK(h.json()["has_more"] == true);
  h = call("alice", "GET", "/v1/conversations/" + conv + "/messages");
  CHECK(h.json()["messages"].as_array().size() == 2);

  auto list = call("bob", "GET", "/v1/conversations");
  REQUIRE(list.status == 200);
  auto list_body = list.json();
  auto& e = list_body["conversations"].as_array()[0].as_object();
  CHECK(e["last_msg_id"] == 2);
  CHECK(e["unread"] == 1);

  CHECK(call("bob", "POST", "/v1/conversations/" + conv + "/read",
             json::object{{"msg_id", 2}})
            .status == 204);
  list = call("bob", "GET", "/v1/conversations");
  CHECK(list.json()["conversations"].as_array()[0].as_object()["unread"] == 0);
}

TEST_CASE(
    "a user keeps at most max_devices_per_user devices: a new one "
    "replaces the oldest",
    "[e2e][rest]") {
  rest_fixture f(
      {"--max-devices-per-user", "3", "--rate-devices", "1000/1000"});
  for (int i = 1; i <= 5; ++i)
    REQUIRE(f.call("alice", "POST", "/v1/devices",
                   json::object{{"platform", "fcm"},
                                {"token", "d" + std::to_string(i)}})
                .status == 204);
  // Trimmed once written: wait for it, with a deadline.
  std::vector<std::string> tokens;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  do {
    tokens.clear();
    auto listed = f.call("alice", "GET", "/v1/devices").json();
    for (auto& d : listed.at("devices").as_array())
      tokens.push_back(str(d.at("token")));
  } while (tokens.size() > 3 && std::chrono::steady_clock::now() < deadline);
  CHECK(tokens == std::vector<std::string>{"d3", "d4", "d5"});
  // Registering a kept one again replaces it, and drops nothing.
  REQUIRE(f.call("alice", "POST", "/v1/devices",
                 json::object{{"platform", "fcm"}, {"token", "d3"}})
              .status == 204);
  CHECK(f.call("alice", "GET", "/v1/devices")
            .json()
            .at("devices")
            .as_array()
            .size() == 3);
}

TEST_CASE_METHOD(rest_fixture, "members, presence and devices over REST",
                 "[e2e][rest]") {
  auto g = call(
      "alice", "POST", "/v1/conversations",
      json::object{{"kind", "group"}, {"members", {"bob"}}, {"title", "T"}});
  REQUIRE(g.status == 201);
  auto conv = str(g.json()["conv_id"]);
  CHECK(call("alice", "POST", "/v1/conversations/" + conv + "/members",
             json::object{{"add", {"carol"}}})
            .status == 204);
  expect_error(call("bob", "POST", "/v1/conversations/" + conv + "/members",
                    json::object{{"remove", {"carol"}}}),
               403, "forbidden");
  auto bob = connect("bob");
  auto p = call("alice", "GET", "/v1/presence?user_ids=bob,carol");
  REQUIRE(p.status == 200);
  auto p_body = p.json();
  auto& st = p_body["statuses"].as_array();
  REQUIRE(st.size() == 2);
  CHECK(st[0].as_object().at("online") == true);
  CHECK(st[1].as_object().at("online") == false);
  CHECK(call("alice", "POST", "/v1/devices",
             json::object{{"platform", "fcm"}, {"token", "tok-1"}})
            .status == 204);
  CHECK(call("alice", "POST", "/v1/devices",
             json::object{{"platform", "apns"}, {"token", "ab12cd34"}})
            .status == 204);
  expect_error(call("alice", "POST", "/v1/devices",
                    json::object{{"platform", "apns"}, {"token", "a/b"}}),
               400, "bad_request");
  // Listed to their user only, tokens whole (to remove one).
  auto listed = call("alice", "GET", "/v1/devices");
  REQUIRE(listed.status == 200);
  auto devices = listed.json().at("devices").as_array();
  REQUIRE(devices.size() == 2);
  // In token order.
  CHECK(devices[0].at("platform") == "apns");
  CHECK(devices[0].at("token") == "ab12cd34");
  CHECK(devices[1].at("platform") == "fcm");
  CHECK(devices[1].at("token") == "tok-1");
  CHECK(devices[1].at("registered_ms").as_int64() > 0);
  CHECK(call("bob", "GET", "/v1/devices")
            .json()
            .at("devices")
            .as_array()
            .empty());
  CHECK(call("alice", "DELETE", "/v1/devices/tok-1").status == 204);
  devices = call("alice", "GET", "/v1/devices").json().at("devices").as_array();
  REQUIRE(devices.size() == 1);
  CHECK(devices[0].at("token") == "ab12cd34");
  expect_error(call("alice", "POST", "/v1/devices",
                    json::object{{"platform", "pager"}, {"token", "t"}}),
               400, "bad_request");
}

TEST_CASE_METHOD(rest_fixture,
                 "REST errors are JSON with the protocol's statuses",
                 "[e2e][rest]") {
  auto conv_r = call("alice", "POST", "/v1/conversations",
                     json::object{{"kind", "group"}, {"members", {"bob"}}});
  auto conv = str(conv_r.json()["conv_id"]);
  auto msgs = "/v1/conversations/" + conv + "/messages";
  expect_error(http_request(node.port(), "GET", "/v1/conversations"), 401,
               "unauthorized");
  expect_error(
      http_request(node.port(), "GET", "/v1/conversations", {}, "Bearer junk"),
      401, "unauthorized");
  expect_error(call("alice", "GET", "/v1/nothing"), 404, "not_found");
  expect_error(call("alice", "GET", "/v1/conversations/gnope/messages"), 403,
               "forbidden");
  expect_error(call("mallory", "GET", msgs), 403, "forbidden");
  auto wrong = call("alice", "PUT", "/v1/conversations");
  expect_error(wrong, 405, "method_not_allowed");
  CHECK(wrong.headers["allow"] == "GET, POST");
  expect_error(call("alice", "POST", msgs, "{not json"), 400, "bad_request");
  expect_error(call("alice", "POST", msgs, "[1]"), 400, "bad_request");
  expect_error(
      http_request(node.port(), "POST", msgs,
                   R"({"client_msg_id":"a","body":"b"})",
                   "Bearer " + node.token("alice"), false, "text/plain"),
      400, "bad_request");
  expect_error(
      call("alice", "POST", msgs, json::object{{"client_msg_id", "a"}}), 400,
      "bad_request");
  expect_error(call("alice", "GET", msgs + "?limit=abc"), 400, "bad_request");
  expect_error(call("alice", "GET", msgs + "?limit=500"), 400, "bad_request");
  expect_error(call("alice", "POST", msgs,
                    json::object{{"client_msg_id", "a"},
                                 {"body", std::string(5000, 'x')}}),
               413, "too_large");
  // A body over max_frame is refused before it is read.
  expect_error(call("alice", "POST", msgs, std::string(70000, ' ')), 413,
               "too_large");
}

TEST_CASE(
    "REST sends share the user's rate limit and answer 429 with Retry-After",
    "[e2e][rest]") {
  rest_fixture f({"--send-rate", "1", "--send-burst", "1"});
  auto conv = str(f.call("alice", "POST", "/v1/conversations",
                         json::object{{"kind", "direct"}, {"members", {"bob"}}})
                      .json()["conv_id"]);
  auto msgs = "/v1/conversations/" + conv + "/messages";
  CHECK(f.call("alice", "POST", msgs,
               json::object{{"client_msg_id", "1"}, {"body", "b"}})
            .status == 201);
  auto ws = f.connect("alice");
  auto limited = e2e_fixture::send(*ws, conv, "b", "2");
  CHECK(limited["code"] == "rate_limited");
  auto r = f.call("alice", "POST", msgs,
                  json::object{{"client_msg_id", "3"}, {"body", "b"}});
  rest_fixture::expect_error(r, 429, "rate_limited");
  CHECK(std::stoi(r.headers["retry-after"]) >= 1);
}
