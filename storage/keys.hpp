#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// Key layout of every column family. Ids are written as components: one
// length byte, then the bytes, so that a key's first component is a prefix
// that RocksDB's prefix bloom filter (first_component_transform) can extract.
// msg_ids are 8 bytes big-endian, so a conversation's messages sort by id.
namespace switchboard::storage::keys {

// Ids (users, conversations, client_msg_ids, device tokens) are 1..255 bytes.
constexpr std::size_t max_id_size = 255;

bool valid_id(std::string_view id) noexcept;

void append_component(std::string& out, std::string_view id);
void append_u64(std::string& out, std::uint64_t v);

// [conv][msg_id]
std::string message_key(std::string_view conv, std::uint64_t msg_id);
// The msg_id of a message key; nullopt when the key is not one.
std::optional<std::uint64_t> message_id(std::string_view key) noexcept;

// [a], [a][b], [a][b][c]
std::string component_key(std::string_view a);
std::string component_key(std::string_view a, std::string_view b);
std::string component_key(std::string_view a, std::string_view b,
                          std::string_view c);

// Splits a key of components; nullopt when the lengths do not add up.
std::optional<std::vector<std::string_view>> split(std::string_view key);

// Length of the first component including its length byte, or 0 when the
// key is too short to hold it.
std::size_t first_component_size(std::string_view key) noexcept;

}  // namespace switchboard::storage::keys
