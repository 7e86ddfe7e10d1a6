#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "storage/column_family.hpp"
#include "storage/keys.hpp"

// The key layout of format 1 (data directories written before the shard
// layout, which have no format marker): ids as components of one length
// byte and the bytes, msg_ids and push sequence numbers 8 bytes
// big-endian, no shard. Read only by the migration (store_format.cpp).
namespace switchboard::storage::legacy_keys {

// The ids and number of a format-1 key of `cf`, with shard 0 (the caller
// computes the shard); nullopt when the bytes are not such a key. Never
// reads outside `key`.
std::optional<keys::parts> decode(column_family cf, std::string_view key);

}  // namespace switchboard::storage::legacy_keys
