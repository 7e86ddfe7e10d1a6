#include "actors/conversation_ids.hpp"

#include <openssl/sha.h>

#include <catch2/catch.hpp>
#include <set>

#include "auth/jwt.hpp"

using namespace switchboard::actors;

TEST_CASE("a direct conversation id depends on the pair, not its order",
          "[ids]") {
  switchboard::auth::hs256_key key(direct_id_secret("node secret"));
  CHECK(direct_conversation_id(key, "alice", "bob") ==
        direct_conversation_id(key, "bob", "alice"));
  CHECK(direct_conversation_id(key, "alice", "bob") !=
        direct_conversation_id(key, "alice", "carol"));
  CHECK(direct_conversation_id(key, "a", "bc") !=
        direct_conversation_id(key, "ab", "c"));
  CHECK(direct_conversation_id(key, "alice", "bob").size() == 33);
}

TEST_CASE("a direct conversation id cannot be computed without the secret",
          "[ids]") {
  switchboard::auth::hs256_key key(direct_id_secret("node secret"));
  switchboard::auth::hs256_key other(direct_id_secret("another secret"));
  auto id = direct_conversation_id(key, "alice", "bob");
  CHECK(id != direct_conversation_id(other, "alice", "bob"));
  // Not the plain hash of the pair that ids used to be.
  std::string input = "alice\nbob";
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(),
         md);
  static constexpr char digits[] = "0123456789abcdef";
  std::string plain = "d";
  for (int i = 0; i < 16; ++i) {
    plain.push_back(digits[md[i] >> 4]);
    plain.push_back(digits[md[i] & 15]);
  }
  CHECK(id != plain);
  // Nor is the id key the token secret itself.
  CHECK(direct_id_secret("node secret") != "node secret");
}

TEST_CASE("group ids are fresh", "[ids]") {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) CHECK(seen.insert(new_group_id()).second);
}
