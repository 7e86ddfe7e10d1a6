#pragma once

#include <string>

namespace switchboard::auth {
class hs256_key;
}

namespace switchboard::actors {

// The conv_id of the direct conversation of two users: derived from the
// pair (in either order), so that creating it twice, even concurrently or
// on two nodes, reaches the same conversation actor. Keyed with `key` (an
// HMAC, not a plain hash) so that nobody without the node's secret can
// compute the id of two other users' conversation and learn who talks to
// whom. "d" + 32 hex digits.
std::string direct_conversation_id(const auth::hs256_key& key,
                                   const std::string& a, const std::string& b);

// The key of direct_conversation_id, derived from the node's token secret
// (so that every node of a deployment computes the same ids) but not equal
// to it: a conv_id reveals nothing about the token key.
std::string direct_id_secret(const std::string& token_secret);

// A fresh random group conv_id: "g" + 24 hex digits.
std::string new_group_id();

}  // namespace switchboard::actors
