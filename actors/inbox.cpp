#include "actors/inbox.hpp"

#include "actors/events.hpp"
#include "actors/json_writer.hpp"

namespace switchboard::actors {

storage::result<summary_page> read_summaries(
    const storage::store& store, const std::string& user,
    const std::vector<std::string>& convs, std::size_t member_budget) {
  summary_page page;
  auto& out = page.list;
  std::size_t listed = 0;  // members in `out`
  for (; page.covered < convs.size(); ++page.covered) {
    auto& conv = convs[page.covered];
    auto meta = store.conversation(conv);
    if (!meta) return meta.err();
    if (!*meta) continue;  // an inbox entry whose creation did not complete
    auto members = store.members(conv);
    if (!members) return members.err();
    conv_summary e;
    bool member = false;
    for (auto& m : *members) {
      e.members.push_back(m.user_id);
      if (m.user_id == user) {
        member = true;
        e.read_upto = m.state.read_upto;
        e.delivered_upto = m.state.delivered_upto;
      }
    }
    if (!member) continue;  // nor one whose member was removed
    // The same rule as gather_summaries' for a page gathered from nodes.
    if (page.covered > 0 && listed + e.members.size() > member_budget) break;
    listed += e.members.size();
    auto last = store.last_msg_id(conv);
    if (!last) return last.err();
    auto unread =
        store.count_from_others(conv, e.read_upto, user, unread_scan_max);
    if (!unread) return unread.err();
    e.conv_id = conv;
    e.kind = (*meta)->kind;
    e.title = (*meta)->title;
    e.last_msg_id = *last;
    e.unread = *unread;
    out.push_back(std::move(e));
  }
  return page;
}

std::vector<std::string> page_ids(const std::vector<std::string>& ids,
                                  std::uint32_t limit) {
  return {ids.begin(), ids.begin() + std::min<std::size_t>(ids.size(), limit)};
}

inbox_page page_of(std::vector<std::string> ids, std::uint32_t limit,
                   summary_page page) {
  inbox_page out;
  out.list = std::move(page.list);
  out.has_more = ids.size() > limit || page.covered < ids.size();
  std::size_t covered = std::min<std::size_t>(page.covered, limit);
  if (out.has_more && covered > 0) out.next_after = ids[covered - 1];
  return out;
}

storage::result<std::vector<std::vector<std::string>>> read_inboxes(
    const storage::store& store, const std::vector<std::string>& users) {
  std::vector<std::vector<std::string>> out;
  out.reserve(users.size());
  for (auto& u : users) {
    auto convs = store.inbox(u);
    if (!convs) return convs.err();
    out.push_back(std::move(*convs));
  }
  return out;
}

std::string inbox_frame(const std::optional<std::string>& rid,
                        const inbox_page& page) {
  std::vector<std::string> convs;
  convs.reserve(page.list.size());
  for (auto& s : page.list)
    convs.push_back(json_writer(128 + 32 * s.members.size())
                        .str("conv_id", s.conv_id)
                        .str("kind", s.kind)
                        .str("title", s.title)
                        .strings("members", s.members)
                        .num("last_msg_id", s.last_msg_id)
                        .num("read_upto", s.read_upto)
                        .num("delivered_upto", s.delivered_upto)
                        .num("unread", s.unread)
                        .done());
  json_writer w;
  w.str("type", "inbox");
  if (rid) w.str("rid", *rid);
  w.raw("conversations", json_writer::array_of(convs))
      .boolean("has_more", page.has_more);
  if (page.has_more) w.str("next_after", page.next_after);
  return w.done();
}

std::string read_inbox(const storage::store& store, const std::string& user,
                       const std::string& after, std::uint32_t limit,
                       std::size_t member_budget,
                       const std::optional<std::string>& rid) {
  auto fail = [&](const storage::error& e) {
    return events::error(
        rid, proto_error{proto_code::internal, "storage error: " + e.message});
  };
  auto ids = store.inbox_page(user, after, std::size_t{limit} + 1);
  if (!ids) return fail(ids.err());
  auto page = read_summaries(store, user, page_ids(*ids, limit), member_budget);
  if (!page) return fail(page.err());
  return inbox_frame(rid, page_of(std::move(*ids), limit, std::move(*page)));
}

}  // namespace switchboard::actors
