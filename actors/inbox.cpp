#include "actors/inbox.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "actors/events.hpp"

namespace switchboard::actors {

namespace json = boost::json;

std::string read_inbox(const storage::store& store, const std::string& user,
                       const std::optional<std::string>& rid) {
  auto fail = [&](const storage::error& e) {
    return events::error(
        rid, proto_error{"internal", "storage error: " + e.message});
  };
  auto convs = store.inbox(user);
  if (!convs) return fail(convs.err());
  json::array list;
  for (auto& conv : *convs) {
    auto meta = store.conversation(conv);
    if (!meta) return fail(meta.err());
    if (!*meta) continue;  // an inbox entry whose creation did not complete
    auto members = store.members(conv);
    if (!members) return fail(members.err());
    auto last = store.last_msg_id(conv);
    if (!last) return fail(last.err());
    storage::member_state self_state;
    json::array ids;
    for (auto& m : *members) {
      ids.emplace_back(m.user_id);
      if (m.user_id == user) self_state = m.state;
    }
    auto unread = store.count_from_others(conv, self_state.read_upto, user);
    if (!unread) return fail(unread.err());
    json::object e;
    e["conv_id"] = conv;
    e["kind"] = (*meta)->kind;
    e["title"] = (*meta)->title;
    e["members"] = std::move(ids);
    e["last_msg_id"] = *last;
    e["read_upto"] = self_state.read_upto;
    e["delivered_upto"] = self_state.delivered_upto;
    e["unread"] = *unread;
    list.emplace_back(std::move(e));
  }
  json::object o;
  o["type"] = "inbox";
  if (rid) o["rid"] = *rid;
  o["conversations"] = std::move(list);
  return json::serialize(o);
}

}  // namespace switchboard::actors
