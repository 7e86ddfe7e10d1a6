#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "storage/result.hpp"

namespace switchboard::storage {

// One message of a conversation's log. msg_id lives in the key, not in the
// encoded value.
struct message {
  std::uint64_t msg_id = 0;
  std::string sender;
  std::string body;
  std::int64_t ts_ms = 0;
  std::string client_msg_id;
};

// The compact on-disk form of a message, laid out by hand because it is on
// the hot path (docs/ARCHITECTURE.md "storage/"): a version byte (1), then
// varint-length sender, varint-length body, varint ts, varint-length
// client_msg_id.
std::string encode_message(const message& m);

// Decodes a value written by encode_message. Returns errc::corruption for an
// unknown version, a truncated record or trailing bytes.
result<message> decode_message(std::uint64_t msg_id, std::string_view bytes);

}  // namespace switchboard::storage
