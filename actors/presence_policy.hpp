#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "actors/messages.hpp"
#include "storage/result.hpp"

namespace switchboard::storage {
class store;
}

namespace switchboard::actors {

// Which users' presence `viewer` may see (PROTOCOL.md `presence`): itself
// and every user it shares a conversation with. out[i] answers for ids[i].
// Anyone else is to be shown offline with last_seen null, as a user who
// never connected, so that a stranger learns nothing of a user's existence
// or activity.
//
// The conversation lists (inbox entries) say which conversations two users
// may share; the memberships say whether they do. An entry is written
// before its membership and erased after it, on another node in a cluster,
// so a failure in between leaves a stray one: a removed member's entry, or
// one of a creation or add that did not complete. A user is shown only
// when a shared conversation has both as members.

// Reads the lists and checks the memberships in this node's store (a
// standalone node has every shard). Blocking: run it on the I/O pool.
storage::result<std::vector<bool>> presence_visible(
    const storage::store& store, const std::string& viewer,
    const std::vector<std::string>& ids);

// For each of ids, the conversations in both its list (theirs[i]) and
// the viewer's (`mine`), at most `most`, in the order of theirs[i]; none
// for the viewer itself. Pure.
std::vector<std::vector<std::string>> shared_by_lists(
    const std::string& viewer, const std::vector<std::string>& mine,
    const std::vector<std::string>& ids,
    const std::vector<std::vector<std::string>>& theirs, std::size_t most);

// The answer from those candidates and `convs`, the summaries of the
// conversations the viewer is a member of (a cluster gathers them from the
// conversations' owners): ids[i] is shown when it is the viewer, or a
// member of one of its candidates found there. Pure.
std::vector<bool> shown_by_members(
    const std::string& viewer, const std::vector<std::string>& ids,
    const std::vector<std::vector<std::string>>& candidates,
    const std::vector<conv_summary>& convs);

// The candidates a cluster's check confirms per user: enough that a stray
// entry or two cannot hide a conversation the two share, few enough that a
// check of 500 users reads a bounded number of conversations.
constexpr std::size_t presence_candidates = 4;

}  // namespace switchboard::actors
