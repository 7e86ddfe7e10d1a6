// The browser client's side of the node: its files at / and the
// development sign-in POST /v1/dev/login.
#include "tests/e2e/e2e_fixture.hpp"

using namespace switchboard::testing;

TEST_CASE_METHOD(e2e_fixture, "the node serves the browser client at /",
                 "[e2e][web]") {
  auto page = http_request(node.port(), "GET", "/");
  REQUIRE(page.status == 200);
  CHECK(page.headers["content-type"] == "text/html; charset=utf-8");
  CHECK(page.body.find("<!doctype html>") != std::string::npos);
  CHECK(page.headers["content-security-policy"].find("script-src") ==
        std::string::npos);  // default-src 'self' covers scripts
  CHECK(page.headers["content-security-policy"].find("default-src 'self'") !=
        std::string::npos);
  CHECK(page.headers["x-content-type-options"] == "nosniff");

  auto script = http_request(node.port(), "GET", "/lib/switchboard.js");
  CHECK(script.status == 200);
  CHECK(script.headers["content-type"] == "text/javascript; charset=utf-8");

  // Nothing outside the folder, no hidden files, no unknown types.
  for (auto bad :
       {"/../CMakeLists.txt", "/%2e%2e/CMakeLists.txt", "/lib/../../README.md",
        "/.git/config", "/nope.js", "//etc/passwd", "/lib"}) {
    auto r = http_request(node.port(), "GET", bad);
    INFO(bad << " -> " << r.status << " " << r.body);
    CHECK(r.status == 404);
    CHECK(r.json()["error"].as_object()["code"] == "not_found");
  }
  auto post = http_request(node.port(), "POST", "/", "{}");
  CHECK(post.status == 405);
  CHECK(post.headers["allow"] == "GET, HEAD");
}

TEST_CASE_METHOD(e2e_fixture,
                 "dev login is refused with a clear message unless enabled",
                 "[e2e][web]") {
  auto r = http_request(node.port(), "POST", "/v1/dev/login",
                        R"({"user_id":"alice"})");
  CHECK(r.status == 403);
  CHECK(r.json()["error"].as_object()["code"] == "forbidden");
  CHECK(str(r.json()["error"].as_object()["message"]).find("--dev-login") !=
        std::string::npos);
}

TEST_CASE("dev login mints a working token on a loopback node", "[e2e][web]") {
  e2e_fixture f({"--dev-login"});
  auto r = http_request(f.node.port(), "POST", "/v1/dev/login",
                        R"({"user_id":"alice"})");
  REQUIRE(r.status == 200);
  auto body = r.json();
  CHECK(body["user_id"] == "alice");
  auto token = str(body["token"]);
  auto conv = http_request(f.node.port(), "GET", "/v1/conversations", {},
                           "Bearer " + token);
  CHECK(conv.status == 200);
  ws_client c(f.node.port(), token);  // the WebSocket takes it too

  for (auto bad : {R"({"user_id":"a b"})", R"({"user_id":""})",
                   R"({"user_id":7})", R"({})", R"([1])", "nope"}) {
    auto e = http_request(f.node.port(), "POST", "/v1/dev/login", bad);
    INFO(bad << " -> " << e.status << " " << e.body);
    CHECK(e.status == 400);
    CHECK(e.json()["error"].as_object()["code"] == "bad_request");
  }
  auto get = http_request(f.node.port(), "GET", "/v1/dev/login");
  CHECK(get.status == 405);
}

TEST_CASE("dev login is refused on a non-loopback address", "[e2e][web]") {
  temp_dir dir;
  auto r = run_switchboard({"serve", "--dev-login", "--listen", "0.0.0.0:0",
                            "--data-dir", dir.str()});
  CHECK(r.status == 2);
  CHECK(r.output.find("--dev-login") != std::string::npos);
  CHECK(r.output.find("loopback") != std::string::npos);
}
