#include "actors/inbox.hpp"

#include "actors/events.hpp"
#include "actors/json_writer.hpp"

namespace switchboard::actors {

storage::result<std::vector<conv_summary>> read_summaries(
    const storage::store& store, const std::string& user,
    const std::vector<std::string>& convs) {
  std::vector<conv_summary> out;
  out.reserve(convs.size());
  for (auto& conv : convs) {
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
    auto last = store.last_msg_id(conv);
    if (!last) return last.err();
    auto unread = store.count_from_others(conv, e.read_upto, user);
    if (!unread) return unread.err();
    e.conv_id = conv;
    e.kind = (*meta)->kind;
    e.title = (*meta)->title;
    e.last_msg_id = *last;
    e.unread = *unread;
    out.push_back(std::move(e));
  }
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
                        const std::vector<conv_summary>& list) {
  std::vector<std::string> convs;
  convs.reserve(list.size());
  for (auto& s : list)
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
  return w.raw("conversations", json_writer::array_of(convs)).done();
}

std::string read_inbox(const storage::store& store, const std::string& user,
                       const std::optional<std::string>& rid) {
  auto fail = [&](const storage::error& e) {
    return events::error(
        rid, proto_error{proto_code::internal, "storage error: " + e.message});
  };
  auto convs = store.inbox(user);
  if (!convs) return fail(convs.err());
  auto list = read_summaries(store, user, *convs);
  if (!list) return fail(list.err());
  return inbox_frame(rid, *list);
}

}  // namespace switchboard::actors
