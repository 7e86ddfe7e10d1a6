#include "actors/events.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace switchboard::actors::events {

namespace json = boost::json;

namespace {

json::object frame(std::string_view type, const rid_t& rid) {
  json::object o;
  o["type"] = type;
  if (rid) o["rid"] = *rid;
  return o;
}

json::array strings(const std::vector<std::string>& v) {
  json::array a;
  a.reserve(v.size());
  for (auto& s : v) a.emplace_back(s);
  return a;
}

json::object message_fields(const chat_message& m) {
  json::object o;
  o["conv_id"] = m.conv_id;
  o["msg_id"] = m.msg_id;
  o["sender"] = m.sender;
  o["body"] = m.body;
  o["ts"] = m.ts;
  o["client_msg_id"] = m.client_msg_id;
  return o;
}

std::string text(const json::object& o) { return json::serialize(o); }

}  // namespace

std::string welcome(const std::string& user_id, const std::string& session_id,
                    const std::string& node, int heartbeat_s) {
  auto o = frame("welcome", std::nullopt);
  o["user_id"] = user_id;
  o["session_id"] = session_id;
  o["node"] = node;
  o["heartbeat_s"] = heartbeat_s;
  return text(o);
}

std::string pong(const rid_t& rid) { return text(frame("pong", rid)); }
std::string ok(const rid_t& rid) { return text(frame("ok", rid)); }

std::string error(const rid_t& rid, const proto_error& e) {
  auto o = frame("error", rid);
  o["code"] = e.code;
  o["message"] = e.message;
  if (e.code == "rate_limited") o["retry_after_ms"] = e.retry_after_ms;
  return text(o);
}

std::string created(const rid_t& rid, const create_reply& r) {
  auto o = frame("created", rid);
  o["conv_id"] = r.conv_id;
  o["kind"] = r.kind;
  o["members"] = strings(r.members);
  o["existed"] = r.existed;
  return text(o);
}

std::string sent(const rid_t& rid, const std::string& conv_id,
                 const std::string& client_msg_id, const send_reply& r) {
  auto o = frame("sent", rid);
  o["conv_id"] = conv_id;
  o["msg_id"] = r.msg_id;
  o["client_msg_id"] = client_msg_id;
  o["ts"] = r.ts;
  o["duplicate"] = r.duplicate;
  return text(o);
}

std::string history(const rid_t& rid, const std::string& conv_id,
                    const history_reply& r) {
  auto o = frame("history", rid);
  o["conv_id"] = conv_id;
  json::array msgs;
  msgs.reserve(r.messages.size());
  for (auto& m : r.messages) msgs.emplace_back(message_fields(m));
  o["messages"] = std::move(msgs);
  o["has_more"] = r.has_more;
  return text(o);
}

std::string presence(const rid_t& rid,
                     const std::vector<presence_status>& statuses) {
  auto o = frame("presence", rid);
  json::array a;
  for (auto& s : statuses) {
    json::object e;
    e["user_id"] = s.user_id;
    e["online"] = s.online;
    if (s.last_seen > 0)
      e["last_seen"] = s.last_seen;
    else
      e["last_seen"] = nullptr;
    a.emplace_back(std::move(e));
  }
  o["statuses"] = std::move(a);
  return text(o);
}

std::string message(const chat_message& m) {
  auto o = message_fields(m);
  o["type"] = "message";
  return text(o);
}

std::string receipt(const std::string& conv_id, const std::string& user_id,
                    bool read, std::uint64_t msg_id) {
  auto o = frame("receipt", std::nullopt);
  o["conv_id"] = conv_id;
  o["user_id"] = user_id;
  o["state"] = read ? "read" : "delivered";
  o["msg_id"] = msg_id;
  return text(o);
}

std::string members(const std::string& conv_id,
                    const std::vector<std::string>& added,
                    const std::vector<std::string>& removed) {
  auto o = frame("members", std::nullopt);
  o["conv_id"] = conv_id;
  o["added"] = strings(added);
  o["removed"] = strings(removed);
  return text(o);
}

std::string typing(const std::string& conv_id, const std::string& user_id) {
  auto o = frame("typing", std::nullopt);
  o["conv_id"] = conv_id;
  o["user_id"] = user_id;
  return text(o);
}

}  // namespace switchboard::actors::events
