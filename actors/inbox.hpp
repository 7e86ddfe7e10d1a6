#pragma once

#include <optional>
#include <string>
#include <vector>

#include "actors/messages.hpp"
#include "storage/store.hpp"

namespace switchboard::actors {

// The summaries of `convs` for `user` (PROTOCOL.md `inbox`): kind, title,
// members, last msg_id, the user's own cursors and unread count, from the
// store. A conversation that does not exist, or of which the user is not a
// member, is left out: an inbox entry is written before the membership it
// indexes (cluster.md), so one whose creation failed may remain. Blocking:
// run it on the I/O pool.
storage::result<std::vector<conv_summary>> read_summaries(
    const storage::store& store, const std::string& user,
    const std::vector<std::string>& convs);

// The conversation ids of each of `users`, in order. Blocking.
storage::result<std::vector<std::vector<std::string>>> read_inboxes(
    const storage::store& store, const std::vector<std::string>& users);

// The `inbox` frame of `list`.
std::string inbox_frame(const std::optional<std::string>& rid,
                        const std::vector<conv_summary>& list);

// Reads `user`'s whole conversation list from this node's store (a
// standalone node has every shard). Returns the `inbox` frame, or an
// `internal` error frame. Blocking.
std::string read_inbox(const storage::store& store, const std::string& user,
                       const std::optional<std::string>& rid);

}  // namespace switchboard::actors
