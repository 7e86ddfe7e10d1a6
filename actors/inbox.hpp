#pragma once

#include <optional>
#include <string>

#include "actors/messages.hpp"
#include "storage/store.hpp"

namespace switchboard::actors {

// Reads `user`'s conversation list (PROTOCOL.md `inbox`) from the store:
// kind, title, members, last msg_id, the user's own cursors and unread count
// per conversation. Blocking: run it on the I/O pool. Returns the `inbox`
// frame, or an `internal` error frame.
std::string read_inbox(const storage::store& store, const std::string& user,
                       const std::optional<std::string>& rid);

}  // namespace switchboard::actors
