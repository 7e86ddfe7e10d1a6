#include "auth/jwt.hpp"

#include <catch2/catch.hpp>

using namespace switchboard::auth;

namespace {
constexpr std::int64_t now = 1'800'000'000;
}

TEST_CASE("a signed token verifies and gives back its claims", "[jwt]") {
  auto t = sign_token("secret", claims{"alice", now + 60});
  auto r = verify_token("secret", t, now);
  REQUIRE(r.ok.has_value());
  CHECK(r.ok->sub == "alice");
  CHECK(r.ok->exp == now + 60);
}

TEST_CASE(
    "a token is refused for the wrong secret, expiry or a changed payload",
    "[jwt]") {
  auto t = sign_token("secret", claims{"alice", now + 60});
  CHECK(verify_token("other", t, now).error == token_error::bad_signature);
  CHECK(verify_token("secret", t, now + 60).error == token_error::expired);
  auto forged = sign_token("secret", claims{"mallory", now + 60});
  auto dot = t.find('.');
  auto mixed = t.substr(0, dot) + forged.substr(dot, forged.rfind('.') - dot) +
               t.substr(t.rfind('.'));
  CHECK_FALSE(verify_token("secret", mixed, now).ok.has_value());
}

TEST_CASE("only HS256 is accepted", "[jwt]") {
  // {"alg":"none"} . {"sub":"alice","exp":4102444800} . (empty)
  std::string none =
      "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSIsImV4cCI6NDEwMjQ0NDgwMH0.";
  CHECK(verify_token("secret", none, now).error == token_error::bad_algorithm);
  // {"alg":"HS512"}
  std::string hs512 =
      "eyJhbGciOiJIUzUxMiJ9.eyJzdWIiOiJhbGljZSIsImV4cCI6NDEwMjQ0NDgwMH0.AAAA";
  CHECK(verify_token("secret", hs512, now).error == token_error::bad_algorithm);
}

TEST_CASE("malformed tokens are refused", "[jwt]") {
  for (std::string t : {"", "a", "a.b", "a.b.c.d", "!!!.???.***", "e30.e30."}) {
    INFO(t);
    CHECK_FALSE(verify_token("secret", t, now).ok.has_value());
  }
}

TEST_CASE("a token needs exp and a valid sub", "[jwt]") {
  CHECK(verify_token("s", sign_token("s", claims{"bad id!", now + 5}), now)
            .error == token_error::bad_subject);
  CHECK(verify_token("s", sign_token("s", claims{"", now + 5}), now).error ==
        token_error::bad_subject);
}

TEST_CASE("user ids are 1..64 characters of [A-Za-z0-9_.-]", "[jwt]") {
  CHECK(valid_user_id("alice"));
  CHECK(valid_user_id("A.b-c_9"));
  CHECK(valid_user_id(std::string(64, 'a')));
  CHECK_FALSE(valid_user_id(std::string(65, 'a')));
  CHECK_FALSE(valid_user_id(""));
  CHECK_FALSE(valid_user_id("a b"));
  CHECK_FALSE(valid_user_id("a/b"));
  CHECK_FALSE(valid_user_id("\xc3\xa9"));
}
