#include "rest/api.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <memory>
#include <vector>

#include "actors/node.hpp"
#include "auth/token_verifier.hpp"
#include "common/clock.hpp"
#include "push/webpush_subscription.hpp"
#include "rest/http_errors.hpp"
#include "rest/json_body.hpp"
#include "rest/route.hpp"
#include "storage/store.hpp"

namespace switchboard::rest {

namespace json = boost::json;

namespace {

std::string authenticate(const auth::token_verifier& tokens,
                         const net::http_request& req, std::string& why) {
  auto token = auth::bearer_token(req.authorization);
  if (token.empty()) {
    why = "missing bearer token";
    return {};
  }
  auto r = tokens.verify(token);
  if (!r.ok) {
    why = std::string(auth::to_string(r.error));
    return {};
  }
  return r.ok->sub;
}

// Strips the WebSocket framing (type, rid) from an answer frame.
json::object body_of(json::object frame) {
  frame.erase("type");
  frame.erase("rid");
  return frame;
}

// Maps the answer frame of a request to its HTTP response.
net::http_response to_http(const std::string& answer) {
  if (answer.empty()) return no_content();
  auto v = json::parse(answer);
  auto& o = v.as_object();
  std::string type(o["type"].as_string());
  if (type == "error") return error_from_frame(o);
  if (type == "ok") return no_content();
  if (type == "created")
    return json_response(o["existed"].as_bool() ? 200 : 201, body_of(o));
  if (type == "sent")
    return json_response(o["duplicate"].as_bool() ? 200 : 201, body_of(o));
  return json_response(200, body_of(o));
}

// Runs `frame` as `user`'s request and answers over HTTP.
void run(actors::node& rt, const std::string& user, const json::object& frame,
         const net::http_reply& reply) {
  auto parsed = actors::parse_frame(frame, user, rt.lim());
  if (!parsed.frame) {
    reply(error_response(parsed.err.code, parsed.err.message));
    return;
  }
  rt.request(user, std::move(*parsed.frame),
             [reply](std::string answer) { reply(to_http(answer)); });
}

// A store write that failed, as the protocol says: the node cannot write
// right now (disk full, recovering) is 503 `unavailable` with Retry-After;
// anything else is 500.
// A device write that failed: `unavailable` (503 with Retry-After: the
// store cannot write now, or the user's shard is on a node that is down or
// moving) or `internal`.
net::http_response device_failed(const actors::proto_error& e) {
  auto res = error_response(e.code, e.message);
  if (e.code == proto_code::unavailable)
    res.headers.emplace_back("Retry-After",
                             std::to_string(std::max<std::int64_t>(
                                 1, (e.retry_after_ms + 999) / 1000)));
  return res;
}

bool parse_u64(const std::string& s, std::uint64_t& out) {
  if (s.empty() || s.size() > 20) return false;
  out = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    auto next = out * 10 + static_cast<std::uint64_t>(c - '0');
    if (next / 10 != out) return false;
    out = next;
  }
  return true;
}

void history(actors::node& rt, const std::string& user, const route& r,
             const net::http_reply& reply) {
  json::object f{{"type", "sync"}, {"conv_id", r.param}};
  for (auto name : {"after", "before", "limit"}) {
    auto v = r.query(name);
    if (!v) continue;
    std::uint64_t n = 0;
    if (!parse_u64(*v, n)) {
      reply(error_response(
          proto_code::bad_request,
          std::string(name) + " must be a non-negative integer"));
      return;
    }
    f[name] = n;
  }
  run(rt, user, f, reply);
}

// GET /v1/conversations: a page of the inbox, `after` and `limit` as the
// frame's.
void inbox(actors::node& rt, const std::string& user, const route& r,
           const net::http_reply& reply) {
  json::object f{{"type", "conversations"}};
  if (auto after = r.query("after")) f["after"] = *after;
  if (auto v = r.query("limit")) {
    std::uint64_t n = 0;
    if (!parse_u64(*v, n)) {
      reply(error_response(proto_code::bad_request,
                           "limit must be a non-negative integer"));
      return;
    }
    f["limit"] = n;
  }
  run(rt, user, f, reply);
}

// The query's comma-separated `user_ids`, as the frame's array.
json::array user_ids_of(const route& r) {
  json::array ids;
  auto list = r.query("user_ids").value_or("");
  std::size_t start = 0;
  while (start <= list.size() && !list.empty()) {
    auto comma = list.find(',', start);
    ids.emplace_back(list.substr(
        start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return ids;
}

void presence(actors::node& rt, const std::string& user, const route& r,
              const net::http_reply& reply) {
  run(rt, user, {{"type", "presence"}, {"user_ids", user_ids_of(r)}}, reply);
}

void register_device(actors::node& rt, const std::string& user,
                     const json::object& body, const api_options& opts,
                     const net::http_reply& reply) {
  auto* platform = body.if_contains("platform");
  auto* token = body.if_contains("token");
  static const std::vector<std::string> platforms = {"fcm", "apns", "webpush",
                                                     "gateway"};
  if (!platform || !platform->is_string() ||
      std::find(platforms.begin(), platforms.end(),
                std::string(platform->as_string())) == platforms.end()) {
    reply(error_response(
        proto_code::bad_request,
        "platform must be \"fcm\", \"apns\", \"webpush\" or \"gateway\""));
    return;
  }
  // A Web Push token is the browser's subscription (PushSubscription's
  // JSON: its endpoint and keys), longer than any provider's device token.
  std::size_t most = platform->as_string() == "webpush" ? 4096 : 255;
  if (!token || !token->is_string() || token->as_string().empty() ||
      token->as_string().size() > most) {
    reply(error_response(proto_code::bad_request,
                         "token must be a string of 1.." +
                             std::to_string(most) + " characters"));
    return;
  }
  if (platform->as_string() == "apns" &&
      token->as_string().find_first_not_of("0123456789abcdefABCDEF") !=
          std::string::npos) {
    reply(error_response(proto_code::bad_request,
                         "an APNs device token is hexadecimal"));
    return;
  }
  std::string why;
  if (platform->as_string() == "webpush" &&
      !push::parse_webpush_subscription(std::string(token->as_string()),
                                        opts.webpush_allow_private, &why)) {
    reply(error_response(proto_code::bad_request, why));
    return;
  }
  auto now = common::unix_ms();
  rt.put_device(user, std::string(platform->as_string()),
                std::string(token->as_string()), now,
                [reply](const actors::proto_error& e) {
                  reply(e.ok() ? no_content() : device_failed(e));
                });
}

void delete_device(actors::node& rt, const std::string& user,
                   const std::string& token, const net::http_reply& reply) {
  if (token.empty() || token.size() > 4096) {
    reply(error_response(proto_code::bad_request,
                         "token must be 1..4096 characters"));
    return;
  }
  rt.erase_device(user, token, [reply](const actors::proto_error& e) {
    reply(e.ok() ? no_content() : device_failed(e));
  });
}

// GET /v1/devices: the user's own devices, tokens whole (the user's own
// credentials, needed to remove one).
void list_devices(actors::node& rt, const std::string& user,
                  const net::http_reply& reply) {
  rt.list_devices(user, [reply](const actors::proto_error& e,
                                std::vector<storage::device> devices) {
    if (!e.ok()) return reply(device_failed(e));
    json::array list;
    for (auto& d : devices)
      list.push_back(json::object{{"platform", d.platform},
                                  {"token", d.token},
                                  {"registered_ms", d.registered_ms}});
    auto res = json_response(200, json::object{{"devices", std::move(list)}});
    // The tokens are credentials (a Web Push subscription's keys).
    res.headers.emplace_back("Cache-Control", "no-store");
    reply(std::move(res));
  });
}

}  // namespace

bool handle(actors::node& rt, const auth::token_verifier& tokens,
            const api_options& opts, const net::http_request& req,
            const net::http_reply& reply) {
  auto r = match_route(req.target);
  if (!r) return false;
  if (!r->allows(req.method)) {
    auto res = error_response(
        proto_code::method_not_allowed,
        req.method + " is not allowed here; use " + r->allowed());
    res.headers.emplace_back("Allow", r->allowed());
    reply(std::move(res));
    return true;
  }
  std::string why;
  auto user = authenticate(tokens, req, why);
  if (user.empty()) {
    reply(error_response(proto_code::unauthorized, why));
    return true;
  }
  json::object body;
  net::http_response err;
  bool post = req.method == "POST";
  if (post && !json_body(req, body, err)) {
    reply(std::move(err));
    return true;
  }
  switch (r->kind) {
    case route_kind::conversations:
      if (post) {
        body["type"] = "create";
        run(rt, user, body, reply);
      } else {
        inbox(rt, user, *r, reply);
      }
      break;
    case route_kind::messages:
      if (post) {
        body["type"] = "send";
        body["conv_id"] = r->param;
        run(rt, user, body, reply);
      } else {
        history(rt, user, *r, reply);
      }
      break;
    case route_kind::members:
      body["type"] = "members";
      body["conv_id"] = r->param;
      run(rt, user, body, reply);
      break;
    case route_kind::read:
      body["type"] = "read";
      body["conv_id"] = r->param;
      run(rt, user, body, reply);
      break;
    case route_kind::presence:
      presence(rt, user, *r, reply);
      break;
    case route_kind::receipts:
      run(rt, user,
          {{"type", "receipts"},
           {"conv_id", r->param},
           {"user_ids", user_ids_of(*r)}},
          reply);
      break;
    case route_kind::devices:
    case route_kind::device:
      if (auto e = rt.take_budget(actors::request_kind::devices, user);
          !e.ok()) {
        reply(error_from_frame(
            json::object{{"code", e.wire()},
                         {"message", e.message},
                         {"retry_after_ms", e.retry_after_ms}}));
        break;
      }
      if (r->kind == route_kind::devices && !post)
        list_devices(rt, user, reply);
      else if (r->kind == route_kind::devices)
        register_device(rt, user, body, opts, reply);
      else
        delete_device(rt, user, r->param, reply);
      break;
  }
  return true;
}

}  // namespace switchboard::rest
