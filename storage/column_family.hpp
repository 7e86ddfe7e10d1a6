#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace switchboard::storage {

// The kinds of data of a node's store, one RocksDB column family each
// (DESIGN §1). Keys are built by storage/keys.hpp.
enum class column_family : std::size_t {
  messages,       // [conv][msg_id be64] -> message record
  conversations,  // [conv] -> conversation_meta
  directs,        // spare: nothing above storage/ uses it (direct ids are
                  // an HMAC, actors/conversation_ids.hpp); kept so that
                  // the families' numbers (the journal's and the
                  // replication wire's cf byte) stay as they are
  members,        // [conv][user] -> member_state
  inbox,          // [user][conv] -> "" (the conversations of a user)
  idempotency,    // [conv][sender][client_msg_id] -> msg_id be64
  devices,        // [user][token] -> device
  push_outbox,    // [seq be64] -> push_job
  last_seen,      // [user] -> ts_ms be64
  revocations,    // [user] -> seconds be64: tokens issued before are refused
  shard_log,      // [] -> the shard's position (shard_position); [seq be64]
                  // -> a replicated group's journal entry (shard_journal)
  count_,         // not a column family: the number of them
};

constexpr std::size_t column_family_count =
    static_cast<std::size_t>(column_family::count_);

// RocksDB's name of each column family, in enum order.
constexpr std::array<std::string_view, column_family_count>
    column_family_names = {"messages",    "conversations", "directs",
                           "members",     "inbox",         "idempotency",
                           "devices",     "push_outbox",   "last_seen",
                           "revocations", "shard_log"};

// Whether a shard's move copies the family's keys of the shard (and erases
// them where it moved from). Not the revocations: in a cluster every node
// keeps every revocation (the admin's revoke is made on every node), since
// each checks tokens itself; a move must neither duplicate nor erase them.
constexpr bool moves_with_shard(column_family cf) noexcept {
  return cf != column_family::revocations;
}

}  // namespace switchboard::storage
