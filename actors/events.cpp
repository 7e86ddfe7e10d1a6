#include "actors/events.hpp"

#include "actors/json_writer.hpp"

namespace switchboard::actors::events {

namespace {

json_writer frame(std::string_view type, const rid_t& rid,
                  std::size_t reserve = 128) {
  json_writer w(reserve);
  w.str("type", type);
  if (rid) w.str("rid", *rid);
  return w;
}

void message_fields(json_writer& w, const chat_message& m) {
  w.str("conv_id", m.conv_id)
      .num("msg_id", m.msg_id)
      .str("sender", m.sender)
      .str("body", m.body)
      .num("ts", m.ts)
      .str("client_msg_id", m.client_msg_id);
}

}  // namespace

std::string welcome(const std::string& user_id, const std::string& session_id,
                    const std::string& node, int heartbeat_s) {
  return frame("welcome", std::nullopt)
      .str("user_id", user_id)
      .str("session_id", session_id)
      .str("node", node)
      .num("heartbeat_s", std::int64_t{heartbeat_s})
      .done();
}

std::string pong(const rid_t& rid) { return frame("pong", rid).done(); }
std::string ok(const rid_t& rid) { return frame("ok", rid).done(); }

std::string error(const rid_t& rid, const proto_error& e) {
  auto w = frame("error", rid);
  w.str("code", e.wire())
      .str("message", common::default_message(e.code, e.message));
  if (e.code == proto_code::rate_limited ||
      (e.code == proto_code::unavailable && e.retry_after_ms > 0))
    w.num("retry_after_ms", e.retry_after_ms);
  return w.done();
}

std::string created(const rid_t& rid, const create_reply& r) {
  return frame("created", rid)
      .str("conv_id", r.conv_id)
      .str("kind", r.kind)
      .strings("members", r.members)
      .boolean("existed", r.existed)
      .done();
}

std::string sent(const rid_t& rid, const std::string& conv_id,
                 const std::string& client_msg_id, const send_reply& r) {
  return frame("sent", rid)
      .str("conv_id", conv_id)
      .num("msg_id", r.msg_id)
      .str("client_msg_id", client_msg_id)
      .num("ts", r.ts)
      .boolean("duplicate", r.duplicate)
      .done();
}

std::string history(const rid_t& rid, const std::string& conv_id,
                    const history_reply& r) {
  std::vector<std::string> msgs;
  msgs.reserve(r.messages.size());
  for (auto& m : r.messages) {
    json_writer w(128 + m.body.size());
    message_fields(w, m);
    msgs.push_back(w.done());
  }
  return frame("history", rid)
      .str("conv_id", conv_id)
      .raw("messages", json_writer::array_of(msgs))
      .boolean("has_more", r.has_more)
      .done();
}

std::string receipts(const rid_t& rid, const std::string& conv_id,
                     const cursors_reply& r) {
  std::vector<std::string> items;
  items.reserve(r.users.size());
  for (std::size_t i = 0;
       i < r.users.size() && i < r.delivered.size() && i < r.read.size(); ++i)
    items.push_back(json_writer(96)
                        .str("user_id", r.users[i])
                        .num("delivered_upto", r.delivered[i])
                        .num("read_upto", r.read[i])
                        .done());
  return frame("receipts", rid)
      .str("conv_id", conv_id)
      .raw("receipts", json_writer::array_of(items))
      .done();
}

std::string presence(const rid_t& rid,
                     const std::vector<presence_status>& statuses) {
  std::vector<std::string> items;
  items.reserve(statuses.size());
  for (auto& s : statuses) {
    json_writer e(64);
    e.str("user_id", s.user_id).boolean("online", s.online);
    if (s.last_seen > 0)
      e.num("last_seen", s.last_seen);
    else
      e.null("last_seen");
    items.push_back(e.done());
  }
  return frame("presence", rid)
      .raw("statuses", json_writer::array_of(items))
      .done();
}

std::string message(const chat_message& m) {
  auto w = frame("message", std::nullopt, 128 + m.body.size());
  message_fields(w, m);
  return w.done();
}

std::string receipt(const std::string& conv_id, const std::string& user_id,
                    bool read, std::uint64_t msg_id) {
  return frame("receipt", std::nullopt)
      .str("conv_id", conv_id)
      .str("user_id", user_id)
      .str("state", read ? "read" : "delivered")
      .num("msg_id", msg_id)
      .done();
}

std::string members(const std::string& conv_id,
                    const std::vector<std::string>& added,
                    const std::vector<std::string>& removed) {
  return frame("members", std::nullopt)
      .str("conv_id", conv_id)
      .strings("added", added)
      .strings("removed", removed)
      .done();
}

std::string typing(const std::string& conv_id, const std::string& user_id) {
  return frame("typing", std::nullopt)
      .str("conv_id", conv_id)
      .str("user_id", user_id)
      .done();
}

}  // namespace switchboard::actors::events
