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
// indexes (cluster.md), so one whose creation failed may remain. The read
// stops before a conversation whose members would take the members listed
// past `member_budget` (never before the first): `covered` says how many of
// `convs` it got to. Blocking: run it on the I/O pool.
storage::result<summary_page> read_summaries(
    const storage::store& store, const std::string& user,
    const std::vector<std::string>& convs,
    std::size_t member_budget = SIZE_MAX);

// Messages an unread count reads at most per conversation; past them every
// message counts (storage::store::count_from_others).
constexpr std::uint64_t unread_scan_max = 10000;

// One page of an inbox: the conversation ids read for it (at most one past
// the page's limit, which says there are more) and their summaries.
struct inbox_page {
  std::vector<conv_summary> list;
  bool has_more = false;
  std::string next_after;  // the `after` of the next page; "" at the end
};
// The ids whose summaries a page of `limit` reads, of `ids` read with a
// limit of `limit` + 1 (the one past says there are more).
std::vector<std::string> page_ids(const std::vector<std::string>& ids,
                                  std::uint32_t limit);
// The page of `ids` (read with a limit of `limit` + 1) of which `page`
// covers a prefix.
inbox_page page_of(std::vector<std::string> ids, std::uint32_t limit,
                   summary_page page);

// The conversation ids of each of `users`, in order. Blocking.
storage::result<std::vector<std::vector<std::string>>> read_inboxes(
    const storage::store& store, const std::vector<std::string>& users);

// The `inbox` frame of `page`.
std::string inbox_frame(const std::optional<std::string>& rid,
                        const inbox_page& page);

// Reads a page of `user`'s conversation list from this node's store (a
// standalone node has every shard): at most `limit` conversations after
// `after`, and at most `member_budget` members past the first. Returns the
// `inbox` frame, or an `internal` error frame. Blocking.
std::string read_inbox(const storage::store& store, const std::string& user,
                       const std::string& after, std::uint32_t limit,
                       std::size_t member_budget,
                       const std::optional<std::string>& rid);

}  // namespace switchboard::actors
