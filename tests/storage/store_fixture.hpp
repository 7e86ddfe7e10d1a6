#pragma once

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "storage/conversation_log.hpp"
#include "storage/store.hpp"
#include "tests/support/temp_dir.hpp"

namespace switchboard::testing {

// A store in a fresh directory, with helpers to fill and reopen it.
struct store_fixture {
  temp_dir dir;
  std::unique_ptr<storage::store> db = open();

  std::unique_ptr<storage::store> open() {
    auto s = storage::store::open(
        storage::store_options{dir.str(), storage::durability::sync, {}});
    REQUIRE(s.has_value());
    return std::move(*s);
  }

  void reopen() {
    db.reset();
    db = open();
  }

  // Appends n messages to `conv`, body "m<id>", alternating between senders
  // "alice" and "bob", and waits until they are durable.
  void append(const std::string& conv, int n) {
    auto log = storage::conversation_log::open(*db, conv);
    REQUIRE(log.has_value());
    storage::batch b;
    for (int i = 0; i < n; ++i) {
      storage::message m;
      m.sender = (log->last_msg_id() % 2 == 0) ? "alice" : "bob";
      m.body = "m" + std::to_string(log->last_msg_id() + 1);
      m.ts_ms = 1000 + static_cast<std::int64_t>(log->last_msg_id());
      m.client_msg_id = "c" + std::to_string(log->last_msg_id() + 1);
      REQUIRE(log->append(b, m).has_value());
    }
    REQUIRE(db->commit_and_wait(std::move(b)).has_value());
  }
};

// The msg_ids of a page, in page order.
inline std::vector<std::uint64_t> ids(const storage::page& p) {
  std::vector<std::uint64_t> out;
  for (auto& m : p.messages) out.push_back(m.msg_id);
  return out;
}

}  // namespace switchboard::testing
