// The browser client's side of the node: its files at / and the
// development sign-in POST /v1/dev/login.
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

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

TEST_CASE_METHOD(e2e_fixture, "HEAD answers with the GET headers and no body",
                 "[e2e][web]") {
  namespace asio = boost::asio;
  auto get = http_request(node.port(), "GET", "/");
  REQUIRE(get.status == 200);
  // HEAD, then GET on the same connection: a body after the HEAD answer
  // would be read as the start of the next answer.
  asio::io_context ioc;
  asio::ip::tcp::socket sock(ioc);
  sock.connect({asio::ip::make_address("127.0.0.1"), node.port()});
  std::string reqs =
      "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n"
      "HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  asio::write(sock, asio::buffer(reqs));
  std::string all;
  boost::system::error_code ec;
  asio::read(sock, asio::dynamic_buffer(all), ec);  // until the close
  auto first = all.find("\r\n\r\n");
  REQUIRE(first != std::string::npos);
  CHECK(all.substr(0, first).find("Content-Length: " +
                                  std::to_string(get.body.size())) !=
        std::string::npos);
  auto second = all.substr(first + 4);
  CHECK(second.rfind("HTTP/1.1 200", 0) == 0);  // no body in between
  auto third = second.substr(second.find("\r\n\r\n") + 4);
  CHECK(third.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(third.find(R"({"status":"ok"})") != std::string::npos);
}
