// Start-up checks of the node's secrets and files, token lifetimes, and the
// limits of the development sign-in.
#include <sys/stat.h>

#include "auth/token_verifier.hpp"
#include "tests/e2e/e2e_fixture.hpp"

using namespace switchboard::testing;

namespace {

unsigned mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

}  // namespace

TEST_CASE("a token secret shorter than 32 bytes is refused at start",
          "[e2e][auth]") {
  temp_dir dir;
  auto r = run_switchboard({"serve", "--data-dir", dir.str(), "--listen",
                            "127.0.0.1:0", "--jwt-secret",
                            "0123456789abcdef0123456789abcde"});
  CHECK(r.status == 2);
  CHECK(r.output.find("at least 32") != std::string::npos);
}

TEST_CASE("the data directory is private and so are the secrets in it",
          "[e2e][auth]") {
  temp_dir parent;
  auto data = (parent.path() / "data").string();
  node_process n({"--data-dir", data});
  CHECK(mode_of(data) == 0700);
  CHECK(mode_of(data + "/admin_token") == 0600);
}

TEST_CASE_METHOD(e2e_fixture,
                 "a token living longer than the node allows is refused",
                 "[e2e][auth]") {
  auto now = switchboard::auth::now_s();
  switchboard::auth::claims c{"alice", now + 31 * 86400};
  c.iat = now;
  auto r = http_request(
      node.port(), "GET", "/v1/conversations", {},
      "Bearer " + switchboard::auth::sign_token(node_process::secret, c));
  CHECK(r.status == 401);
  auto minted = run_switchboard({"token", "alice", "--ttl", "99999999",
                                 "--jwt-secret", node_process::secret});
  CHECK(minted.status == 2);
  CHECK(minted.output.find("token-max-lifetime-s") != std::string::npos);
}

TEST_CASE("dev login answers only loopback Hosts and the node's own pages",
          "[e2e][auth][web]") {
  e2e_fixture f({"--dev-login"});
  auto login = [&](std::vector<std::pair<std::string, std::string>> h) {
    return http_request(f.node.port(), "POST", "/v1/dev/login",
                        R"({"user_id":"alice"})", {}, false, "application/json",
                        h);
  };
  auto self = "127.0.0.1:" + std::to_string(f.node.port());
  CHECK(login({{"Host", self}}).status == 200);
  CHECK(login({{"Host", self}, {"Origin", "http://" + self}}).status == 200);
  CHECK(
      login({{"Host", "localhost:" + std::to_string(f.node.port())}}).status ==
      200);
  // DNS rebinding: a name that resolves to 127.0.0.1 for the attacker's page.
  auto rebound =
      login({{"Host", "evil.example:" + std::to_string(f.node.port())}});
  CHECK(rebound.status == 403);
  CHECK(rebound.json()["error"].as_object()["code"] == "forbidden");
  // Another site's page posting to the node.
  CHECK(login({{"Host", self}, {"Origin", "http://evil.example"}}).status ==
        403);
  CHECK(login({{"Host", self}, {"Origin", "null"}}).status == 403);
}

TEST_CASE("token-leeway-s and token-max-lifetime-s are read", "[e2e][auth]") {
  auto now = switchboard::auth::now_s();
  auto token = [&](std::int64_t exp, std::int64_t iat) {
    switchboard::auth::claims c{"alice", exp};
    c.iat = iat;
    return switchboard::auth::sign_token(node_process::secret, c);
  };
  auto status = [](e2e_fixture& f, const std::string& t) {
    return http_request(f.node.port(), "GET", "/v1/conversations", {},
                        "Bearer " + t)
        .status;
  };
  auto just_expired = token(now - 20, now - 100);
  auto two_hours = token(now + 7200, now);
  e2e_fixture lenient;  // defaults: 60 s of leeway, 30 days
  CHECK(status(lenient, just_expired) == 200);
  CHECK(status(lenient, two_hours) == 200);
  e2e_fixture strict(
      {"--token-leeway-s", "0", "--token-max-lifetime-s", "3600"});
  CHECK(status(strict, just_expired) == 401);
  CHECK(status(strict, two_hours) == 401);
  CHECK(status(strict, token(now + 1800, now)) == 200);
}
