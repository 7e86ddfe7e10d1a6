#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "storage/result.hpp"

// The colder, richer records: encoded with cereal's portable binary archive
// and a class version, so that they can grow fields without a migration
// (docs/ARCHITECTURE.md "storage/"). Each encode/decode pair is defined in
// records.cpp.
namespace switchboard::storage {

struct conversation_meta {
  std::string kind;  // "direct" or "group"
  std::string title;
  std::string creator;
  std::int64_t created_ms = 0;
};

// A member's cumulative cursors (docs/ARCHITECTURE.md "actors/").
struct member_state {
  std::uint64_t delivered_upto = 0;
  std::uint64_t read_upto = 0;
  std::int64_t joined_ms = 0;
};

// A push-notification endpoint of one user.
struct device {
  std::string platform;  // "fcm", "apns", "webpush" or "gateway"
  std::string token;
  std::int64_t registered_ms = 0;
};

// One pending push notification in the outbox.
struct push_job {
  std::string user_id;
  std::string conv_id;
  std::uint64_t msg_id = 0;
  std::string sender;
  std::string preview;
  std::int64_t created_ms = 0;
  std::uint32_t attempts = 0;
};

std::string encode(const conversation_meta& v);
std::string encode(const member_state& v);
std::string encode(const device& v);
std::string encode(const push_job& v);

// Each returns errc::corruption when the bytes are not a record of its kind.
result<conversation_meta> decode_conversation_meta(std::string_view bytes);
result<member_state> decode_member_state(std::string_view bytes);
result<device> decode_device(std::string_view bytes);
result<push_job> decode_push_job(std::string_view bytes);

}  // namespace switchboard::storage
