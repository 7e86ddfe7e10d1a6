#pragma once

#include <optional>
#include <string>
#include <string_view>

// The byte encodings of etcd's JSON gateway: keys and values travel as
// standard base64 with padding (RFC 4648 §4, as Go's encoding/json writes
// []byte), and a prefix is a key range ending at prefix_end. Pure functions.
namespace switchboard::cluster {

std::string base64_encode(std::string_view bytes);

// The bytes of a padded base64 text, or nothing when it is not one: a
// character outside the alphabet, a length not a multiple of 4, padding
// anywhere but at the end, or non-zero bits after the last byte (so that
// every byte string has exactly one encoding).
std::optional<std::string> base64_decode(std::string_view text);

// The range_end that makes [prefix, range_end) every key starting with
// `prefix`: the prefix with its trailing 0xff bytes dropped and its last byte
// plus one ("sb/nodes/" -> "sb/nodes0"). For an empty prefix or one of only
// 0xff bytes, "\0": etcd's "every key from `key` on".
std::string prefix_end(std::string_view prefix);

}  // namespace switchboard::cluster
