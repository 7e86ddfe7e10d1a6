#include "actors/frame.hpp"

#include <algorithm>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <set>
#include <type_traits>

#include "auth/jwt.hpp"
#include "common/overloaded.hpp"

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

request::create parse_create(const json::object& o, const std::string& self,
                             const limits& lim) {
  request::create r;
  r.kind = get_string(o, "kind");
  if (r.kind != "direct" && r.kind != "group")
    bad("kind must be \"direct\" or \"group\"");
  auto members = get_user_ids(o, "members", r.kind == "direct");
  if (r.kind == "direct") {
    // The creator may name itself too: ["bob"] and ["alice","bob"] agree.
    members.erase(std::remove(members.begin(), members.end(), self),
                  members.end());
    if (members.size() != 1)
      bad("a direct conversation takes exactly one other user in 'members'");
    r.members = {self, members[0]};
    // Checked as a group's is, then dropped: direct conversations have no
    // title.
    if (field(o, "title") && !field(o, "title")->is_null())
      (void)get_string(o, "title", false, 0, 256);
    return r;
  }
  r.members.push_back(self);
  for (auto& m : members)
    if (m != self) r.members.push_back(std::move(m));
  if (r.members.size() > lim.max_members)
    bad("a group has at most " + std::to_string(lim.max_members) + " members");
  if (field(o, "title") && !field(o, "title")->is_null())
    r.title = get_string(o, "title", false, 0, 256);
  return r;
}

request::conversations parse_inbox(const json::object& o, const limits& lim) {
  request::conversations r;
  if (field(o, "after") && !field(o, "after")->is_null())
    r.after = get_string(o, "after", true, 1, 64);
  if (auto limit = get_uint(o, "limit", false)) {
    if (*limit < 1 || *limit > lim.inbox_page)
      bad("limit must be 1.." + std::to_string(lim.inbox_page));
    r.limit = static_cast<std::uint32_t>(*limit);
  }
  return r;
}

request::sync parse_sync(const json::object& o, const limits& lim) {
  request::sync r;
  r.conv_id = get_conv_id(o);
  auto after = get_uint(o, "after", false);
  auto before = get_uint(o, "before", false);
  if (after && before) bad("give at most one of 'after' and 'before'");
  if (after) r.has_after = true, r.after = *after;
  if (before) r.has_before = true, r.before = *before;
  if (auto limit = get_uint(o, "limit", false)) {
    if (*limit < 1 || *limit > lim.history_page)
      bad("limit must be 1.." + std::to_string(lim.history_page));
    r.limit = static_cast<std::uint32_t>(*limit);
  } else {
    r.limit = std::min<std::uint32_t>(50, lim.history_page);
  }
  return r;
}

request::send parse_send(const json::object& o) {
  request::send r;
  r.conv_id = get_conv_id(o);
  r.client_msg_id = get_string(o, "client_msg_id", true, 1, 64);
  // The upper bound is the conversation's check (too_large comes after
  // not_found and forbidden); an empty body is malformed.
  r.body = get_string(o, "body", true, 1);
  return r;
}

request::cursor parse_cursor(const json::object& o, bool read) {
  return {get_conv_id(o), *get_uint(o, "msg_id", true), read};
}

request::members parse_members(const json::object& o, const limits& lim) {
  request::members r;
  r.conv_id = get_conv_id(o);
  r.add = get_user_ids(o, "add", false);
  r.remove = get_user_ids(o, "remove", false);
  if (!field(o, "add") && !field(o, "remove"))
    bad("give 'add' and/or 'remove'");
  if (r.add.size() + r.remove.size() > lim.max_members_per_request)
    bad("a members request changes at most " +
        std::to_string(lim.max_members_per_request) + " users");
  return r;
}

// The user_ids of presence and receipts: 1..max_presence_ids of them.
std::vector<std::string> some_user_ids(const json::object& o,
                                       const limits& lim) {
  auto ids = get_user_ids(o, "user_ids", true);
  if (ids.empty() || ids.size() > lim.max_presence_ids)
    bad("user_ids must hold 1.." + std::to_string(lim.max_presence_ids) +
        " user ids");
  return ids;
}

request::presence parse_presence(const json::object& o, const limits& lim) {
  request::presence r;
  r.user_ids = some_user_ids(o, lim);
  if (auto* s = field(o, "subscribe")) {
    if (!s->is_bool()) bad("field 'subscribe' must be a boolean");
    r.subscribe = s->as_bool();
  }
  return r;
}

// Each request type's wire name and parser: the one place a type string
// becomes a request. Every parser takes the same arguments.
using parser = client_request (*)(const json::object&, const std::string&,
                                  const limits&);
struct entry {
  std::string_view type;
  std::size_t alternative;  // the index in client_request it parses to
  parser parse;
};

// The index of R in client_request.
template <class R, std::size_t I = 0>
constexpr std::size_t index_of() {
  if constexpr (I == std::variant_size_v<client_request>)
    return I;
  else if constexpr (std::is_same_v<
                         R, std::variant_alternative_t<I, client_request>>)
    return I;
  else
    return index_of<R, I + 1>();
}
// The entry of request R under `type` (cursor has two: ack and read), or
// under its own wire name R::type.
template <class R>
constexpr entry of(std::string_view type, parser parse) {
  static_assert(index_of<R>() < std::variant_size_v<client_request>,
                "a parser's request is one of client_request");
  return {type, index_of<R>(), parse};
}
template <class R>
constexpr entry of(parser parse) {
  return of<R>(R::type, parse);
}

constexpr entry parsers[] = {
    of<request::ping>([](const json::object&, const std::string&, const limits&)
                          -> client_request { return request::ping{}; }),
    of<request::conversations>([](const json::object& o, const std::string&,
                                  const limits& lim) -> client_request {
      return parse_inbox(o, lim);
    }),
    of<request::create>([](const json::object& o, const std::string& self,
                           const limits& lim) -> client_request {
      return parse_create(o, self, lim);
    }),
    of<request::send>(
        [](const json::object& o, const std::string&,
           const limits&) -> client_request { return parse_send(o); }),
    of<request::cursor>(
        "ack",
        [](const json::object& o, const std::string&,
           const limits&) -> client_request { return parse_cursor(o, false); }),
    of<request::cursor>(
        "read",
        [](const json::object& o, const std::string&,
           const limits&) -> client_request { return parse_cursor(o, true); }),
    of<request::sync>(
        [](const json::object& o, const std::string&,
           const limits& lim) -> client_request { return parse_sync(o, lim); }),
    of<request::typing>([](const json::object& o, const std::string&,
                           const limits&) -> client_request {
      return request::typing{get_conv_id(o)};
    }),
    of<request::members>([](const json::object& o, const std::string&,
                            const limits& lim) -> client_request {
      return parse_members(o, lim);
    }),
    of<request::receipts>([](const json::object& o, const std::string&,
                             const limits& lim) -> client_request {
      return request::receipts{get_conv_id(o), some_user_ids(o, lim)};
    }),
    of<request::presence>([](const json::object& o, const std::string&,
                             const limits& lim) -> client_request {
      return parse_presence(o, lim);
    }),
};

// A request type added to client_request and not here does not compile.
constexpr bool every_request_parsed() {
  for (std::size_t i = 0; i < std::variant_size_v<client_request>; ++i) {
    bool found = false;
    for (const auto& p : parsers) found = found || p.alternative == i;
    if (!found) return false;
  }
  return true;
}
static_assert(every_request_parsed(),
              "every request of client_request has its parser in `parsers`");

// Whether a request is for a conversation: it has a conv_id.
template <class R, class = void>
struct has_conv_id : std::false_type {};
template <class R>
struct has_conv_id<R, std::void_t<decltype(&R::conv_id)>> : std::true_type {};

const std::string no_conversation;

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
    out.err = {proto_code::bad_request, "malformed JSON: " + ec.message()};
    return out;
  }
  if (!v.is_object()) {
    out.err = {proto_code::bad_request, "a frame must be a JSON object"};
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
    auto type = get_string(o, "type");
    const entry* e = nullptr;
    for (const auto& p : parsers)
      if (p.type == type) e = &p;
    if (!e) bad("unknown type '" + type + "'");
    f.req = e->parse(o, self, lim);
    out.frame = std::move(f);
  } catch (const bad_field& e) {
    out.err = {proto_code::bad_request, e.message};
  }
  return out;
}

}  // namespace switchboard::actors

namespace switchboard::actors {

std::string_view client_frame::type() const {
  return std::visit(overloaded{
                        [](const request::cursor& r) {
                          return std::string_view(r.read ? "read" : "ack");
                        },
                        [](const auto& r) { return r.type; },
                    },
                    req);
}

const std::string& client_frame::conv_id() const {
  return std::visit(
      [](const auto& r) -> const std::string& {
        if constexpr (has_conv_id<std::decay_t<decltype(r)>>::value)
          return r.conv_id;
        else
          return no_conversation;
      },
      req);
}

}  // namespace switchboard::actors
