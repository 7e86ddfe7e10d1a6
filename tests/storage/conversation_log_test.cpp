#include <catch2/catch.hpp>
#include <future>

#include "tests/storage/store_fixture.hpp"

using namespace switchboard::storage;
using switchboard::testing::ids;
using switchboard::testing::store_fixture;

TEST_CASE_METHOD(store_fixture, "the log hands out gap-free ids from 1",
                 "[conversation_log]") {
  auto log = conversation_log::open(*db, "c");
  REQUIRE(log.has_value());
  CHECK(log->last_msg_id() == 0);
  batch b;
  for (int i = 1; i <= 3; ++i) {
    message m{0, "alice", "x", 1, "k" + std::to_string(i)};
    CHECK(*log->append(b, m) == static_cast<std::uint64_t>(i));
    CHECK(m.msg_id == static_cast<std::uint64_t>(i));
  }
  REQUIRE(db->commit_and_wait(std::move(b)).has_value());
  CHECK((*db->find_idempotent("c", "alice", "k2"))->msg_id == 2);
}

TEST_CASE_METHOD(store_fixture, "ids continue after a reopen",
                 "[conversation_log]") {
  append("c", 7);
  reopen();
  auto log = conversation_log::open(*db, "c");
  REQUIRE(log->last_msg_id() == 7);
  auto done = std::make_shared<std::promise<status>>();
  auto fut = done->get_future();
  auto id = log->append(message{0, "bob", "after", 2, "k"},
                        [done](const status& s) { done->set_value(s); });
  CHECK(*id == 8);
  REQUIRE(fut.get().has_value());
  CHECK(db->read_newest("c", 1)->messages[0].body == "after");
}

TEST_CASE_METHOD(store_fixture, "an append the store cannot key uses up no id",
                 "[conversation_log]") {
  auto log = conversation_log::open(*db, "c");
  batch b;
  message bad{0, "alice", "x", 1, std::string(256, 'k')};
  auto r = log->append(b, bad);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.err().code == errc::invalid_argument);
  CHECK(log->last_msg_id() == 0);
  CHECK(b.empty());
}

TEST_CASE_METHOD(store_fixture, "an invalid conversation id cannot be opened",
                 "[conversation_log]") {
  auto log = conversation_log::open(*db, "");
  REQUIRE_FALSE(log.has_value());
  CHECK(log.err().code == errc::invalid_argument);
}
