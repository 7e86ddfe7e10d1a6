#pragma once

#include <string>

namespace switchboard::actors {

// The conv_id of the direct conversation of two users: derived from the
// pair (in either order), so that creating it twice, even concurrently or
// on two nodes, reaches the same conversation actor. "d" + 32 hex digits.
std::string direct_conversation_id(const std::string& a, const std::string& b);

// A fresh random group conv_id: "g" + 24 hex digits.
std::string new_group_id();

}  // namespace switchboard::actors
