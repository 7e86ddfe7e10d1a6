#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace switchboard::storage {

// The kinds of data of a node's store, one RocksDB column family each
// (docs/ARCHITECTURE.md "storage/"). Keys are built by storage/keys.hpp.
enum class column_family : std::size_t {
  messages,       // [conv][msg_id be64] -> message record
  conversations,  // [conv] -> conversation_meta
  members,        // [conv][user] -> member_state
  inbox,          // [user][conv] -> "" (the conversations of a user)
  idempotency,    // [conv][sender][client_msg_id] -> [msg_id be64][ts_ms be64]
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
    column_family_names = {
        "messages", "conversations", "members",   "inbox",       "idempotency",
        "devices",  "push_outbox",   "last_seen", "revocations", "shard_log"};

// Families that earlier builds created and this one drops when it opens a
// data directory: "directs" (direct ids became an HMAC of the pair,
// actors/conversation_ids.hpp, and nothing read it since).
constexpr std::array<std::string_view, 1> retired_column_family_names = {
    "directs"};

// A family's tag: its number where it outlives a build, in the journal's
// entries on disk and on the cluster's wire (shard chunks, replicated
// ops, reconciliation). Fixed forever, apart from the enum's order; tag 2
// was "directs" and is never given again.
constexpr std::array<std::uint8_t, column_family_count> column_family_tags = {
    0, 1, 3, 4, 5, 6, 7, 8, 9, 10};

constexpr std::uint8_t tag_of(column_family cf) noexcept {
  return column_family_tags[static_cast<std::size_t>(cf)];
}

// The family of a tag; none for a tag no family has (a retired one, or a
// newer build's).
constexpr std::optional<column_family> family_of_tag(
    std::uint8_t tag) noexcept {
  for (std::size_t i = 0; i < column_family_count; ++i)
    if (column_family_tags[i] == tag) return static_cast<column_family>(i);
  return std::nullopt;
}

// Whether a shard's move copies the family's keys of the shard (and erases
// them where it moved from). Not the revocations: in a cluster every node
// keeps every revocation (the admin's revoke is made on every node), since
// each checks tokens itself; a move must neither duplicate nor erase them.
constexpr bool moves_with_shard(column_family cf) noexcept {
  return cf != column_family::revocations;
}

}  // namespace switchboard::storage
