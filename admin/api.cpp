#include "admin/api.hpp"

#include <openssl/crypto.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cmath>
#include <filesystem>

#include "actors/io_pool.hpp"
#include "actors/live_view.hpp"
#include "actors/node.hpp"
#include "admin/cluster_forward.hpp"
#include "auth/jwt.hpp"
#include "auth/token_verifier.hpp"
#include "common/clock.hpp"
#include "metrics/metrics.hpp"
#include "push/service.hpp"
#include "rest/http_errors.hpp"
#include "rest/route.hpp"
#include "storage/store.hpp"

namespace switchboard::admin {

using common::proto_code;

namespace json = boost::json;
using rest::error_response;

namespace {

net::http_response ok_json(const json::object& o) {
  net::http_response res;
  res.body = json::serialize(o);
  return res;
}

// The admin token, compared in constant time; the header parsed as every
// Bearer header of the node is (auth::bearer_token).
bool authorized(const std::string& expected, const std::string& header) {
  auto given = auth::bearer_token(header);
  return !given.empty() && given.size() == expected.size() &&
         CRYPTO_memcmp(given.data(), expected.data(), given.size()) == 0;
}

json::array strings(const std::vector<std::string>& v) {
  json::array a;
  for (auto& s : v) a.emplace_back(s);
  return a;
}

std::optional<std::vector<std::string>> user_list(const json::object& body,
                                                  const char* name) {
  std::vector<std::string> out;
  auto* v = body.if_contains(name);
  if (!v) return out;
  if (!v->is_array()) return std::nullopt;
  for (auto& e : v->as_array()) {
    if (!e.is_string() || !auth::valid_user_id(e.as_string()))
      return std::nullopt;
    out.emplace_back(e.as_string());
  }
  return out;
}

}  // namespace

struct admin_api::impl {
  admin_context ctx;
  actors::io_pool pool{1};
  // Requests a peer forwarded (scope=node): apart, so that a request of
  // this node's own that waits for peers, on `pool`, never waits behind
  // them, nor they behind it.
  actors::io_pool peer_pool{1};

  json::object status() {
    auto& m = *ctx.metrics;
    auto uptime = std::chrono::duration<double>(
                      std::chrono::steady_clock::now() - ctx.started)
                      .count();
    return json::object{
        {"node_id", ctx.node_id},
        {"version", ctx.version},
        {"uptime_s", static_cast<std::int64_t>(uptime)},
        {"connections", m.connections.value()},
        {"users_online", ctx.node->live().online_count()},
        {"active_conversations", ctx.node->live().active_conversations()},
        {"messages_per_s",
         ctx.messages_per_s ? std::llround(ctx.messages_per_s()) : 0},
        {"store_bytes", ctx.store->disk_size()},
        {"durability", ctx.durability},
        // Push providers without their options send nothing (push.md).
        {"push_providers_off",
         [this] {
           std::string out;
           for (auto& p : ctx.push ? ctx.push->providers_off()
                                   : std::vector<std::string>{
                                         "apns", "fcm", "gateway", "webpush"})
             out += (out.empty() ? "" : ", ") + p;
           return out.empty() ? std::string("none") : out;
         }()},
        {"push_backlog", m.push_backlog.value()}};
  }

  net::http_response user(const std::string& id) {
    if (!auth::valid_user_id(id))
      return error_response(proto_code::bad_request, "not a user id: " + id);
    auto sessions = ctx.node->live().sessions_of(id);
    json::array conns;
    for (auto& s : sessions)
      conns.emplace_back(json::object{{"session_id", s.session_id},
                                      {"remote", s.remote},
                                      {"since", s.since_ms}});
    auto seen = ctx.store->last_seen(id);
    auto inbox = ctx.store->inbox(id);
    if (!seen || !inbox)
      return error_response(proto_code::internal, "storage error");
    if (sessions.empty() && !*seen && inbox->empty())
      return error_response(proto_code::not_found, "no such user: " + id);
    auto devices = ctx.store->devices(id);
    if (!devices) return error_response(proto_code::internal, "storage error");
    json::array devs;
    for (auto& d : *devices)
      devs.emplace_back(json::object{{"platform", d.platform},
                                     {"token", push::token_hint(d.token)},
                                     {"registered_ms", d.registered_ms}});
    json::object o{
        {"user_id", id},
        {"online", !sessions.empty()},
        {"connections", std::move(conns)},
        {"conversations", inbox->size()},
        {"devices", std::move(devs)},
        {"pending_pushes", ctx.push ? ctx.push->pending_for(id) : 0}};
    if (*seen)
      o["last_seen"] = **seen;
    else
      o["last_seen"] = nullptr;
    return ok_json(o);
  }

  net::http_response conversation(const std::string& id) {
    auto meta = ctx.store->conversation(id);
    if (!meta) return error_response(proto_code::internal, meta.err().message);
    if (!*meta)
      return error_response(proto_code::not_found,
                            "no such conversation: " + id);
    auto members = ctx.store->members(id);
    auto last = ctx.store->last_msg_id(id);
    if (!members || !last)
      return error_response(proto_code::internal, "storage error");
    json::array ms;
    for (auto& m : *members)
      ms.emplace_back(json::object{{"user_id", m.user_id},
                                   {"delivered_upto", m.state.delivered_upto},
                                   {"read_upto", m.state.read_upto}});
    return ok_json({{"conv_id", id},
                    {"kind", (*meta)->kind},
                    {"title", (*meta)->title},
                    {"creator", (*meta)->creator},
                    {"members", std::move(ms)},
                    {"last_msg_id", *last},
                    {"active", ctx.node->live().conversation_active(id)}});
  }

  net::http_response tail(const std::string& id, std::size_t n) {
    auto meta = ctx.store->conversation(id);
    if (!meta) return error_response(proto_code::internal, meta.err().message);
    if (!*meta)
      return error_response(proto_code::not_found,
                            "no such conversation: " + id);
    auto pg = ctx.store->read_newest(id, n);
    if (!pg) return error_response(proto_code::internal, pg.err().message);
    json::array msgs;
    for (auto it = pg->messages.rbegin(); it != pg->messages.rend(); ++it)
      msgs.emplace_back(json::object{{"msg_id", it->msg_id},
                                     {"sender", it->sender},
                                     {"ts", it->ts_ms},
                                     {"client_msg_id", it->client_msg_id},
                                     {"body", it->body}});
    return ok_json({{"conv_id", id}, {"messages", std::move(msgs)}});
  }

  net::http_response checkpoint(const std::string& dir) {
    if (dir.empty())
      return error_response(proto_code::bad_request,
                            "give the checkpoint's directory");
    if (std::filesystem::exists(dir))
      return error_response(
          proto_code::bad_request,
          dir + " exists; a checkpoint needs a new directory");
    auto st = ctx.store->checkpoint(dir);
    if (!st) return error_response(proto_code::internal, st.err().message);
    // Tokens keep working against a node started on the copy.
    std::error_code ec;
    if (!ctx.secret_file.empty() && std::filesystem::exists(ctx.secret_file))
      std::filesystem::copy_file(ctx.secret_file,
                                 std::filesystem::path(dir) / "jwt_secret", ec);
    return ok_json({{"dir", dir}, {"store_bytes", ctx.store->disk_size()}});
  }

  void route(const net::http_request& req, const net::http_reply& reply) {
    auto parts = path_parts(req.target);
    if (parts.size() < 2 || parts[0] != "admin" || parts[1] != "v1")
      return reply(error_response(proto_code::not_found, "no such path"));
    if (!authorized(ctx.admin_token, req.authorization))
      return reply(error_response(proto_code::unauthorized,
                                  "a valid admin token is required"));
    json::object body;
    if (req.method == "POST" || req.method == "PUT") {
      boost::system::error_code ec;
      auto v = json::parse(req.body.empty() ? "{}" : req.body, ec);
      if (ec || !v.is_object())
        return reply(error_response(proto_code::bad_request,
                                    "the body must be a JSON object"));
      body = std::move(v.as_object());
    }
    auto params = rest::parse_query(req.target);
    auto query = [&](const std::string& name) -> std::string {
      auto it = params.find(name);
      return it == params.end() ? std::string() : it->second;
    };
    auto method = req.method;
    // is_call of this request: `m` on `p`, the path past "admin", "v1".
    auto is = [&](std::initializer_list<std::string_view> p, const char* m) {
      return is_call(parts, method, p, m);
    };
    auto blocking = [&](std::function<net::http_response()> work) {
      (query("scope") == "node" ? peer_pool : pool)
          .post([work = std::move(work), reply] { reply(work()); });
    };
    if (ctx.cluster.at_owner && query("scope") != "node" &&
        answered_in_cluster(parts, method))
      return blocking([this, req, parts] {
        return *answer_in_cluster(ctx.cluster, req, parts);
      });
    if (is({"status"}, "GET"))
      // A clustered node tells of the whole cluster too; a peer asks for
      // this node's own alone (scope=node).
      return blocking([this, whole = query("scope") != "node"] {
        auto o = status();
        if (whole && ctx.cluster.at_every_node)
          o["cluster"] = cluster_status(ctx.cluster);
        return ok_json(o);
      });
    if (is({"users"}, "GET")) {
      auto users = ctx.node->live().online_users(query("prefix"));
      return reply(ok_json({{"users", strings(users)}}));
    }
    if (is({"users", "*"}, "GET"))
      return blocking([this, id = parts[3]] { return user(id); });
    if (is({"users", "*", "push-test"}, "POST")) {
      if (!ctx.push)
        return reply(error_response(
            proto_code::not_found,
            "no push provider is configured on this node (docs/push.md)"));
      return blocking([this, id = parts[3]] {
        if (!auth::valid_user_id(id))
          return error_response(proto_code::bad_request,
                                "not a user id: " + id);
        json::array out;
        for (auto& [device, what] :
             ctx.push->test(id, std::chrono::seconds(15)))
          out.emplace_back(json::object{{"device", device}, {"outcome", what}});
        return ok_json({{"user_id", id}, {"devices", std::move(out)}});
      });
    }
    if (is({"users", "*", "kick"}, "POST")) {
      std::string reason = "kicked by an operator";
      if (auto* r = body.if_contains("reason");
          r && r->is_string() && !r->as_string().empty())
        reason = std::string(r->as_string()).substr(0, 120);
      auto n = ctx.node->live().kick(parts[3], reason);
      if (n == 0)
        return reply(error_response(proto_code::not_found,
                                    parts[3] + " has no connection here"));
      return reply(ok_json({{"user_id", parts[3]}, {"closed", n}}));
    }
    if (is({"users", "*", "revoke"}, "POST")) {
      // Durable first: a revocation that a restart forgot would let the
      // old tokens back in.
      auto user = parts[3];
      if (!auth::valid_user_id(user))
        return reply(error_response(proto_code::bad_request, "not a user id"));
      auto now = auth::now_s();
      // A revocation made on every node of a cluster has one time for all.
      if (auto* nb = body.if_contains("not_before"); nb && nb->is_int64())
        now = nb->as_int64();
      storage::batch b;
      b.skip_replication();  // every node keeps every revocation
      b.put_revocation(user, now);
      ctx.store->commit(std::move(b), [this, user, now,
                                       reply](const storage::status& s) {
        if (!s)
          return reply(error_response(
              proto_code::unavailable,
              "the revocation could not be stored: " + s.err().message));
        ctx.revoked->revoke(user, now);
        auto n = ctx.node->live().kick(user, "token revoked");
        reply(ok_json({{"user_id", user}, {"not_before", now}, {"closed", n}}));
      });
      return;
    }
    if (is({"conversations"}, "GET")) {
      return blocking([this, prefix = query("prefix")] {
        auto ids = ctx.store->conversations(prefix, 100);
        if (!ids)
          return error_response(proto_code::internal, ids.err().message);
        return ok_json({{"conversations", strings(*ids)}});
      });
    }
    if (is({"conversations", "*"}, "GET"))
      return blocking([this, id = parts[3]] { return conversation(id); });
    if (is({"conversations", "*", "messages"}, "GET")) {
      auto n_text = query("limit");
      std::size_t n = 10;
      if (!n_text.empty()) {
        try {
          n = std::stoul(n_text);
        } catch (const std::exception&) {
          n = 0;
        }
        if (n < 1 || n > 1000)
          return reply(
              error_response(proto_code::bad_request, "limit must be 1..1000"));
      }
      return blocking([this, id = parts[3], n] { return tail(id, n); });
    }
    if (is({"conversations", "*", "members"}, "POST")) {
      auto add = user_list(body, "add");
      auto remove = user_list(body, "remove");
      if (!add || !remove || (add->empty() && remove->empty()))
        return reply(error_response(proto_code::bad_request,
                                    "give user ids in 'add' and/or 'remove'"));
      ctx.node->admin_members(
          parts[3], *add, *remove, [reply](actors::proto_error e) {
            if (!e.ok()) return reply(error_response(e.code, e.message));
            reply(rest::no_content());
          });
      return;
    }
    if (is({"tokens"}, "POST")) {
      auto* u = body.if_contains("user");
      if (!u || !u->is_string() || !auth::valid_user_id(u->as_string()))
        return reply(
            error_response(proto_code::bad_request, "give a valid 'user'"));
      std::int64_t ttl = 86400;
      if (auto* t = body.if_contains("ttl")) {
        if (!t->is_int64() || t->as_int64() <= 0)
          return reply(error_response(proto_code::bad_request,
                                      "ttl must be a positive integer"));
        ttl = t->as_int64();
      }
      auto now = common::unix_s();
      auto token = auth::sign_token(
          ctx.jwt_secret, auth::claims{std::string(u->as_string()), now + ttl});
      return reply(ok_json(
          {{"user", u->as_string()}, {"token", token}, {"exp", now + ttl}}));
    }
    if (parts.size() >= 3 && parts[2] == "cluster") {
      auto& cv = ctx.cluster;
      if (!cv.nodes)
        return reply(error_response(proto_code::not_found,
                                    "this node is standalone (no --etcd)"));
      auto as_json = [](const std::string& text) {
        net::http_response res;
        res.body = text;
        return res;
      };
      if (is({"cluster", "nodes"}, "GET"))
        return blocking([&cv, as_json] { return as_json(cv.nodes()); });
      if (is({"cluster", "shards"}, "GET"))
        return blocking([&cv, as_json] { return as_json(cv.shards()); });
      if (is({"cluster", "where", "*"}, "GET"))
        return blocking(
            [&cv, as_json, id = parts[4]] { return as_json(cv.where(id)); });
      if (is({"cluster", "rebalance"}, "POST")) {
        bool dry = false;
        if (auto* d = body.if_contains("dry_run"); d && d->is_bool())
          dry = d->as_bool();
        return blocking(
            [&cv, as_json, dry] { return as_json(cv.rebalance(dry)); });
      }
      if (is({"cluster", "transfer"}, "POST")) {
        auto* s = body.if_contains("shard");
        auto* n = body.if_contains("node");
        if (!s || !s->is_int64() || s->as_int64() < 0 ||
            s->as_int64() > 65535 || !n || !n->is_string() ||
            n->as_string().empty())
          return reply(
              error_response(proto_code::bad_request,
                             "expected {\"shard\": N, \"node\": \"NODE_ID\"}"));
        return blocking([&cv, shard = std::uint32_t(s->as_int64()),
                         node = std::string(n->as_string())] {
          return cv.transfer(shard, node);
        });
      }
      return reply(error_response(proto_code::not_found, "no such path"));
    }
    if (is({"checkpoint"}, "POST")) {
      std::string dir;
      if (auto* d = body.if_contains("dir"); d && d->is_string())
        dir = std::string(d->as_string());
      return blocking([this, dir] { return checkpoint(dir); });
    }
    if (is({"compact"}, "POST")) {
      return blocking([this] {
        auto st = ctx.store->compact();
        if (!st) return error_response(proto_code::internal, st.err().message);
        return ok_json({{"store_bytes", ctx.store->disk_size()}});
      });
    }
    if (is({"log"}, "PUT")) {
      auto* l = body.if_contains("level");
      std::string level =
          l && l->is_string() ? std::string(l->as_string()) : "";
      if (level != "debug" && level != "info" && level != "warn" &&
          level != "error")
        return reply(
            error_response(proto_code::bad_request,
                           "level must be debug, info, warn or error"));
      ctx.set_log_level(level);
      return reply(ok_json({{"level", level}}));
    }
    if (is({"drain"}, "POST")) {
      ctx.drain();
      return reply(ok_json({{"draining", true}}));
    }
    if (is({"top"}, "GET")) {
      // One sample for `top`: counters since start (the shell takes the
      // differences) and the slowest sends since the last sample.
      auto& m = *ctx.metrics;
      auto hist = [](const metrics::histogram& h) {
        auto s = h.snap();
        json::array bounds, counts;
        for (auto b : s.bounds) bounds.emplace_back(b);
        for (auto c : s.counts) counts.emplace_back(c);
        return json::object{{"bounds", std::move(bounds)},
                            {"counts", std::move(counts)},
                            {"count", s.count},
                            {"sum", s.sum}};
      };
      json::array slow;
      for (auto& [conv, seconds] : m.slow_sends.take())
        slow.emplace_back(
            json::object{{"conv_id", conv}, {"ms", seconds * 1000}});
      return reply(ok_json(
          {{"ts_ms", common::unix_ms()},
           {"connections", m.connections.value()},
           {"users_online", ctx.node->live().online_count()},
           {"active_conversations", ctx.node->live().active_conversations()},
           {"accepted", m.messages_accepted.value()},
           {"delivered", m.messages_delivered.value()},
           {"send_latency", hist(m.send_latency)},
           {"commit_batches", hist(m.commit_batches)},
           {"commit_seconds", hist(m.commit_seconds)},
           {"slowest", std::move(slow)}}));
    }
    if (is({"metrics"}, "GET")) {
      auto& m = *ctx.metrics;
      json::object errors;
      for (std::size_t i = 0; i < common::proto_codes.size(); ++i)
        errors[common::proto_codes[i].wire] = m.errors[i].value();
      return reply(ok_json(
          {{"connections", m.connections.value()},
           {"messages_accepted", m.messages_accepted.value()},
           {"messages_delivered", m.messages_delivered.value()},
           {"messages_per_s",
            ctx.messages_per_s ? std::llround(ctx.messages_per_s()) : 0},
           {"queue_drops", m.queue_drops.value()},
           {"rate_limited", m.rate_limited.value()},
           {"errors", std::move(errors)}}));
    }
    reply(
        error_response(proto_code::not_found,
                       "no such admin call: " + req.method + " " + req.target));
  }
};

admin_api::admin_api(admin_context ctx) : impl_(std::make_unique<impl>()) {
  impl_->ctx = std::move(ctx);
}

admin_api::~admin_api() = default;

void admin_api::handle(net::http_request req, net::http_reply reply) {
  impl_->route(req, reply);
}

}  // namespace switchboard::admin
