#include "actors/frame.hpp"

#include <algorithm>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <set>

#include "auth/jwt.hpp"

namespace switchboard::actors {

namespace json = boost::json;

namespace {

// Thrown inside this file only, caught by parse_frame.
struct bad_field {
  std::string message;
};

[[noreturn]] void bad(std::string message) {
  throw bad_field{std::move(message)};
}

const json::value* field(const json::object& o, std::string_view name) {
  return o.if_contains(name);
}

std::string get_string(const json::object& o, std::string_view name,
                       bool required = true, std::size_t min = 0,
                       std::size_t max = SIZE_MAX) {
  auto* v = field(o, name);
  if (!v) {
    if (required) bad("missing field '" + std::string(name) + "'");
    return {};
  }
  if (!v->is_string())
    bad("field '" + std::string(name) + "' must be a string");
  const auto& s = v->as_string();
  if (s.size() < min || s.size() > max)
    bad("field '" + std::string(name) + "' must be " + std::to_string(min) +
        ".." + std::to_string(max) + " characters");
  return std::string(s);
}

std::optional<std::uint64_t> get_uint(const json::object& o,
                                      std::string_view name, bool required) {
  auto* v = field(o, name);
  if (!v) {
    if (required) bad("missing field '" + std::string(name) + "'");
    return std::nullopt;
  }
  if (v->is_uint64()) return v->as_uint64();
  if (v->is_int64() && v->as_int64() >= 0)
    return static_cast<std::uint64_t>(v->as_int64());
  bad("field '" + std::string(name) + "' must be a non-negative integer");
}

std::vector<std::string> get_user_ids(const json::object& o,
                                      std::string_view name, bool required) {
  auto* v = field(o, name);
  if (!v) {
    if (required) bad("missing field '" + std::string(name) + "'");
    return {};
  }
  if (!v->is_array())
    bad("field '" + std::string(name) + "' must be an array of user ids");
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& e : v->as_array()) {
    if (!e.is_string() || !auth::valid_user_id(e.as_string()))
      bad("field '" + std::string(name) +
          "' must hold user ids of 1..64 characters [A-Za-z0-9_.-]");
    std::string id(e.as_string());
    if (seen.insert(id).second) out.push_back(std::move(id));
  }
  return out;
}

std::string get_conv_id(const json::object& o) {
  return get_string(o, "conv_id", true, 1, 64);
}

void parse_create(const json::object& o, const std::string& self,
                  const limits& lim, client_frame& f) {
  f.kind = get_string(o, "kind");
  if (f.kind != "direct" && f.kind != "group")
    bad("kind must be \"direct\" or \"group\"");
  auto members = get_user_ids(o, "members", f.kind == "direct");
  if (f.kind == "direct") {
    // The creator may name itself too: ["bob"] and ["alice","bob"] agree.
    members.erase(std::remove(members.begin(), members.end(), self),
                  members.end());
    if (members.size() != 1)
      bad("a direct conversation takes exactly one other user in 'members'");
    f.members = {self, members[0]};
    if (field(o, "title") && !field(o, "title")->is_null())
      f.title = get_string(o, "title", false, 0, 256);
    f.title.clear();  // direct conversations have no title
    return;
  }
  f.members.push_back(self);
  for (auto& m : members)
    if (m != self) f.members.push_back(std::move(m));
  if (f.members.size() > lim.max_members)
    bad("a group has at most " + std::to_string(lim.max_members) + " members");
  if (field(o, "title") && !field(o, "title")->is_null())
    f.title = get_string(o, "title", false, 0, 256);
}

void parse_sync(const json::object& o, const limits& lim, client_frame& f) {
  f.conv_id = get_conv_id(o);
  auto after = get_uint(o, "after", false);
  auto before = get_uint(o, "before", false);
  if (after && before) bad("give at most one of 'after' and 'before'");
  if (after) f.has_after = true, f.after = *after;
  if (before) f.has_before = true, f.before = *before;
  if (auto limit = get_uint(o, "limit", false)) {
    if (*limit < 1 || *limit > lim.history_page)
      bad("limit must be 1.." + std::to_string(lim.history_page));
    f.limit = static_cast<std::uint32_t>(*limit);
  } else {
    f.limit = std::min<std::uint32_t>(50, lim.history_page);
  }
}

void parse_body(const json::object& o, const std::string& self,
                const limits& lim, client_frame& f) {
  const auto& t = f.type;
  if (t == "ping" || t == "conversations") return;
  if (t == "create") return parse_create(o, self, lim, f);
  if (t == "sync") return parse_sync(o, lim, f);
  if (t == "send") {
    f.conv_id = get_conv_id(o);
    f.client_msg_id = get_string(o, "client_msg_id", true, 1, 64);
    // The upper bound is the conversation's check (too_large comes after
    // not_found and forbidden); an empty body is malformed.
    f.body = get_string(o, "body", true, 1);
    return;
  }
  if (t == "ack" || t == "read") {
    f.conv_id = get_conv_id(o);
    f.msg_id = *get_uint(o, "msg_id", true);
    return;
  }
  if (t == "typing") {
    f.conv_id = get_conv_id(o);
    return;
  }
  if (t == "members") {
    f.conv_id = get_conv_id(o);
    f.add = get_user_ids(o, "add", false);
    f.remove = get_user_ids(o, "remove", false);
    if (!field(o, "add") && !field(o, "remove"))
      bad("give 'add' and/or 'remove'");
    if (f.add.size() + f.remove.size() > lim.max_members_per_request)
      bad("a members request changes at most " +
          std::to_string(lim.max_members_per_request) + " users");
    return;
  }
  if (t == "receipts") {
    f.conv_id = get_conv_id(o);
    f.user_ids = get_user_ids(o, "user_ids", true);
    if (f.user_ids.empty() || f.user_ids.size() > lim.max_presence_ids)
      bad("user_ids must hold 1.." + std::to_string(lim.max_presence_ids) +
          " user ids");
    return;
  }
  if (t == "presence") {
    f.user_ids = get_user_ids(o, "user_ids", true);
    if (f.user_ids.empty() || f.user_ids.size() > lim.max_presence_ids)
      bad("user_ids must hold 1.." + std::to_string(lim.max_presence_ids) +
          " user ids");
    if (auto* s = field(o, "subscribe")) {
      if (!s->is_bool()) bad("field 'subscribe' must be a boolean");
      f.subscribe = s->as_bool();
    }
    return;
  }
  bad("unknown type '" + t + "'");
}

}  // namespace

parsed_frame parse_frame(std::string_view text, const std::string& self,
                         const limits& lim) {
  parsed_frame out;
  boost::system::error_code ec;
  json::parse_options opts;
  opts.max_depth = 16;
  // The document lives only while the frame is read into a client_frame:
  // a stack arena serves a typical frame without touching the heap.
  unsigned char scratch[2048];
  json::monotonic_resource arena(scratch, sizeof scratch);
  auto v = json::parse(text, ec, &arena, opts);
  if (ec) {
    out.err = {"bad_request", "malformed JSON: " + ec.message()};
    return out;
  }
  if (!v.is_object()) {
    out.err = {"bad_request", "a frame must be a JSON object"};
    return out;
  }
  return parse_frame(v.as_object(), self, lim);
}

parsed_frame parse_frame(const json::object& o, const std::string& self,
                         const limits& lim) {
  parsed_frame out;
  if (auto* rid = o.if_contains("rid");
      rid && rid->is_string() && rid->as_string().size() <= 64)
    out.rid = std::string(rid->as_string());
  try {
    client_frame f;
    f.rid = out.rid;
    if (auto* rid = o.if_contains("rid"); rid && !out.rid)
      bad("rid must be a string of at most 64 characters");
    f.type = get_string(o, "type");
    parse_body(o, self, lim, f);
    out.frame = std::move(f);
  } catch (const bad_field& e) {
    out.err = {"bad_request", e.message};
  }
  return out;
}

}  // namespace switchboard::actors
