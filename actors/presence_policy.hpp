#pragma once

#include <string>
#include <vector>

#include "storage/result.hpp"

namespace switchboard::storage {
class store;
}

namespace switchboard::actors {

// Which users' presence `viewer` may see (PROTOCOL.md `presence`): itself
// and every user it shares a conversation with. out[i] answers for ids[i].
// Anyone else is to be shown offline with last_seen null, as a user who
// never connected, so that a stranger learns nothing of a user's existence
// or activity. Blocking (it reads inboxes): run it on the I/O pool.
storage::result<std::vector<bool>> presence_visible(
    const storage::store& store, const std::string& viewer,
    const std::vector<std::string>& ids);

// The same answer from the conversation lists themselves (a cluster gathers
// them from each user's owner): `mine` is the viewer's, theirs[i] that of
// ids[i]. Pure.
std::vector<bool> shares_conversation(
    const std::string& viewer, const std::vector<std::string>& mine,
    const std::vector<std::string>& ids,
    const std::vector<std::vector<std::string>>& theirs);

}  // namespace switchboard::actors
