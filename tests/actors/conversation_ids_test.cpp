#include "actors/conversation_ids.hpp"

#include <catch2/catch.hpp>
#include <set>

using namespace switchboard::actors;

TEST_CASE("a direct conversation id depends on the pair, not its order",
          "[ids]") {
  CHECK(direct_conversation_id("alice", "bob") ==
        direct_conversation_id("bob", "alice"));
  CHECK(direct_conversation_id("alice", "bob") !=
        direct_conversation_id("alice", "carol"));
  CHECK(direct_conversation_id("a", "bc") != direct_conversation_id("ab", "c"));
  CHECK(direct_conversation_id("alice", "bob").size() == 33);
}

TEST_CASE("group ids are fresh", "[ids]") {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) CHECK(seen.insert(new_group_id()).second);
}
