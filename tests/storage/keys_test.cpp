#include "storage/keys.hpp"

#include <catch2/catch.hpp>

using namespace switchboard::storage;

TEST_CASE("message keys sort by conversation, then by msg_id", "[keys]") {
  CHECK(keys::message_key("c1", 2) < keys::message_key("c1", 10));
  CHECK(keys::message_key("c1", 255) < keys::message_key("c1", 256));
  CHECK(keys::message_key("c1", ~0ull) < keys::message_key("c2", 1));
}

TEST_CASE("a message key gives back its msg_id", "[keys]") {
  CHECK(keys::message_id(keys::message_key("conv", 123456789)) == 123456789u);
  CHECK_FALSE(keys::message_id("short").has_value());
  CHECK_FALSE(keys::message_id("").has_value());
}

TEST_CASE("component keys split into their parts", "[keys]") {
  auto key = keys::component_key("conv", "user", "x");
  auto parts = keys::split(key);
  REQUIRE(parts.has_value());
  REQUIRE(parts->size() == 3);
  CHECK((*parts)[0] == "conv");
  CHECK((*parts)[1] == "user");
  CHECK((*parts)[2] == "x");
  CHECK_FALSE(keys::split("\x05"
                          "ab")
                  .has_value());
}

TEST_CASE("the first component is the key's prefix", "[keys]") {
  auto k = keys::component_key("abc", "d");
  CHECK(keys::first_component_size(k) == 4);
  CHECK(keys::first_component_size("") == 0);
  CHECK(keys::first_component_size("\x09"
                                   "ab") == 0);
}

TEST_CASE("ids must be 1..255 bytes", "[keys]") {
  CHECK_FALSE(keys::valid_id(""));
  CHECK(keys::valid_id("a"));
  CHECK(keys::valid_id(std::string(255, 'a')));
  CHECK_FALSE(keys::valid_id(std::string(256, 'a')));
}
