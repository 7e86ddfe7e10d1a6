#include <catch2/catch.hpp>

#include "tests/storage/store_fixture.hpp"

using namespace switchboard::storage;
using switchboard::testing::store_fixture;

TEST_CASE_METHOD(store_fixture,
                 "an invalid id fails the whole batch, writing nothing",
                 "[batch]") {
  batch b;
  b.put_inbox("alice", "c1");
  b.put_member("c1", std::string(300, 'x'), member_state{});
  b.put_inbox("bob", "c1");
  REQUIRE(b.invalid().has_value());
  auto st = db->commit_and_wait(std::move(b));
  REQUIRE_FALSE(st.has_value());
  CHECK(st.err().code == errc::invalid_argument);
  CHECK(db->inbox("alice")->empty());
  CHECK(db->inbox("bob")->empty());
}

TEST_CASE("a message with msg_id 0 makes a batch invalid", "[batch]") {
  batch b;
  b.put_message("c", message{0, "a", "b", 1, ""});
  CHECK(b.invalid().has_value());
  batch e;
  e.put_inbox("", "c");
  CHECK(e.invalid().has_value());
}
