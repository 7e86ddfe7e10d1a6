#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/column_family.hpp"

// Key layout of every column family (format 2, docs/ARCHITECTURE.md):
//
//   [shard be16] [id] ... [id] [number be64]?
//
// The shard comes first, so one shard is one contiguous range per column
// family (shard_range). An id is its bytes with every 0x00 written as
// 0x00 0xFF, then the terminator 0x00 0x01. The encoding is prefix-free and
// keeps order (a shorter id sorts first because 0x00 0x01 sorts below any
// byte that could follow), so key order is (shard, id, id, ..., number)
// order. The two-byte terminator is what FoundationDB's tuple layer gets
// from its type codes: with a bare 0x00, ("a", "\xff\x01") and ("a\x00",
// "\x01") would be the same bytes. Numbers (msg_ids, sequence numbers) are
// 8 bytes big-endian and only ever last.
namespace switchboard::storage::keys {

// Ids (users, conversations, client_msg_ids, device tokens) are 1..255 bytes.
constexpr std::size_t max_id_size = 255;
constexpr std::size_t shard_size = 2;

bool valid_id(std::string_view id) noexcept;

void append_shard(std::string& out, std::uint16_t shard);
void append_id(std::string& out, std::string_view id);
void append_u64(std::string& out, std::uint64_t v);

// What a key of a column family holds after its shard.
struct layout {
  std::size_t ids = 0;  // how many ids
  bool number = false;  // whether a be64 number ends the key
};
layout layout_of(column_family cf) noexcept;

// A key taken apart.
struct parts {
  std::uint16_t shard = 0;
  std::vector<std::string> ids;
  std::uint64_t number = 0;  // 0 unless the layout has one
  bool operator==(const parts& o) const {
    return shard == o.shard && ids == o.ids && number == o.number;
  }
};

// The key of `p` in `cf`. Precondition: p.ids.size() == layout_of(cf).ids.
std::string encode(column_family cf, const parts& p);
// The parts of a key of `cf`; nullopt when the bytes are not such a key
// (wrong count, an id that is empty or too long, a bad escape, trailing
// bytes). Never reads outside `key`.
std::optional<parts> decode(column_family cf, std::string_view key);

// [shard][a], [shard][a][b], [shard][a][b][c]
std::string key(std::uint16_t shard, std::string_view a);
std::string key(std::uint16_t shard, std::string_view a, std::string_view b);
std::string key(std::uint16_t shard, std::string_view a, std::string_view b,
                std::string_view c);
// [shard][conv][msg_id]
std::string message_key(std::uint16_t shard, std::string_view conv,
                        std::uint64_t msg_id);
// [shard][seq] (push_outbox)
std::string seq_key(std::uint16_t shard, std::uint64_t seq);

// The msg_id of a message key; nullopt when the key is not one.
std::optional<std::uint64_t> message_id(std::string_view key) noexcept;

// Length of [shard][first id] including its terminator, or 0 when the key
// does not begin with a well-formed one: the prefix RocksDB's prefix bloom
// filters and memtable insert hints use (a conversation's or a user's keys).
std::size_t prefix_size(std::string_view key) noexcept;

// The keys of `cf` in `shard`: begin <= key < end. An empty `end` means the
// end of the column family (the last shard, 65535).
struct range {
  std::string begin;
  std::string end;
};
range shard_range(column_family cf, std::uint16_t shard);

// [shard] followed by `id_prefix` as an id's first bytes, unterminated:
// every key of the shard whose first id starts with id_prefix starts with
// it, and no other.
std::string id_prefix_key(std::uint16_t shard, std::string_view id_prefix);

}  // namespace switchboard::storage::keys
