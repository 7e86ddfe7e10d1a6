#include "admin/cluster_forward.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cmath>
#include <map>
#include <set>

#include "common/clock.hpp"
#include "rest/http_errors.hpp"
#include "rest/route.hpp"

namespace switchboard::admin {

using common::proto_code;

namespace json = boost::json;

namespace {

std::optional<json::object> object_of(const std::string& text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.as_object());
}

std::optional<json::object> object_of(const net::http_response& r) {
  return object_of(r.body);
}

std::string text_of(const json::object& o, const char* name) {
  auto* v = o.if_contains(name);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::int64_t count_of(const json::object& o, const char* name) {
  auto* v = o.if_contains(name);
  if (!v) return 0;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
  if (v->is_double()) return std::llround(v->as_double());
  return 0;
}

// Why a node's answer is not one: its error's message, or the body.
std::string why_not(const net::http_response& r,
                    const std::optional<json::object>& o) {
  if (o)
    if (auto* e = o->if_contains("error"); e && e->is_object())
      if (auto m = text_of(e->as_object(), "message"); !m.empty()) return m;
  return "answered " + std::to_string(r.status) + ": " + r.body;
}

net::http_response with_body(json::object o) {
  net::http_response res;
  res.body = json::serialize(o);
  return res;
}

// The nodes that did not answer (a status but 200 and `also_fine`), each
// {node_id, error}, named in the merged answer rather than left out
// silently.
json::array failures(const std::vector<net::http_response>& all,
                     int also_fine = 200) {
  json::array out;
  for (auto& r : all) {
    if (r.status == 200 || r.status == also_fine) continue;
    auto o = object_of(r);
    auto id = o ? text_of(*o, "node_id") : std::string();
    json::value node = id.empty() ? json::value(nullptr) : json::value(id);
    out.emplace_back(json::object{{"node_id", node}, {"error", why_not(r, o)}});
  }
  return out;
}

// The array `name` of `o`, or an empty one (an answer that lacks it).
const json::array& array_of(const json::object& o, const char* name) {
  static const json::array none;
  auto* v = o.if_contains(name);
  return v && v->is_array() ? v->as_array() : none;
}

}  // namespace

std::vector<std::string> path_parts(const std::string& target) {
  return rest::split_path(target);
}

bool is_call(const std::vector<std::string>& parts, const std::string& method,
             std::initializer_list<std::string_view> pattern, const char* m) {
  return method == m && rest::matches(parts, pattern, 2);
}

bool peer_may_ask(const std::vector<std::string>& parts,
                  const std::string& method) {
  if (parts.size() < 2 || parts[0] != "admin" || parts[1] != "v1") return false;
  if (is_call(parts, method, {"status"}, "GET")) return true;
  if (answered_in_cluster(parts, method)) return true;
  return false;
}

bool answered_in_cluster(const std::vector<std::string>& parts,
                         const std::string& method) {
  // The calls answer_in_cluster answers, each of them.
  return is_call(parts, method, {"users"}, "GET") ||
         is_call(parts, method, {"users", "*"}, "GET") ||
         is_call(parts, method, {"users", "*", "kick"}, "POST") ||
         is_call(parts, method, {"users", "*", "revoke"}, "POST") ||
         is_call(parts, method, {"users", "*", "push-test"}, "POST") ||
         is_call(parts, method, {"conversations", "*"}, "GET") ||
         is_call(parts, method, {"conversations", "*", "messages"}, "GET");
}

json::object cluster_status(const admin_context::cluster_views& cv) {
  static const char* const counted[] = {
      "connections", "users_online", "active_conversations", "messages_per_s"};
  net::http_request req;
  req.method = "GET";
  req.target = node_scoped("/admin/v1/status");
  std::map<std::string, json::object> answered;
  std::map<std::string, std::string> failed;  // id -> why
  std::vector<std::string> unnamed;           // a failure naming no node
  for (auto& r : cv.at_every_node(req)) {
    auto o = object_of(r);
    auto id = o ? text_of(*o, "node_id") : std::string();
    if (r.status == 200 && o && !id.empty())
      answered[id] = std::move(*o);
    else if (!id.empty())
      failed[id] = why_not(r, o);
    else
      unnamed.push_back(why_not(r, o));
  }
  // Every node the cluster knows of, asked after the others so that a live
  // one not asked joined meanwhile: the live ones, and the dead that own
  // shards (nodes_json).
  std::string name;
  std::map<std::string, bool> known;  // id -> live
  if (auto o = object_of(cv.nodes ? cv.nodes() : std::string())) {
    name = text_of(*o, "cluster");
    if (auto* ns = o->if_contains("nodes"); ns && ns->is_array())
      for (auto& n : ns->as_array())
        if (n.is_object())
          if (auto id = text_of(n.as_object(), "id"); !id.empty())
            known[id] = n.as_object().if_contains("live") &&
                        n.as_object().at("live") == true;
  }
  json::object totals;
  for (auto* k : counted) totals[k] = 0;
  json::array nodes;
  std::set<std::string> live;
  for (auto& [id, o] : answered) {
    live.insert(id);
    json::object n{{"node_id", id}};
    for (auto* k : counted) {
      n[k] = count_of(o, k);
      totals[k] = totals[k].as_int64() + count_of(o, k);
    }
    nodes.emplace_back(std::move(n));
  }
  json::array unanswered;
  for (auto& [id, why] : failed) {
    live.insert(id);
    unanswered.emplace_back(
        json::object{{"node_id", id}, {"live", true}, {"error", why}});
  }
  for (auto& why : unnamed)
    unanswered.emplace_back(
        json::object{{"node_id", nullptr}, {"live", true}, {"error", why}});
  for (auto& [id, is_live] : known) {
    if (answered.count(id) || failed.count(id)) continue;
    if (is_live) live.insert(id);
    unanswered.emplace_back(
        json::object{{"node_id", id},
                     {"live", is_live},
                     {"error", is_live ? "joined while the others were asked"
                                       : "no lease in etcd; its shards are "
                                         "unavailable until it returns"}});
  }
  return json::object{{"name", name},
                      // Every node asked is in `known` as well, so one
                      // whose failure named no node is counted there.
                      {"nodes_live", live.size()},
                      {"nodes", std::move(nodes)},
                      {"totals", std::move(totals)},
                      {"unanswered", std::move(unanswered)}};
}

std::string node_scoped(const std::string& target) {
  return target + (target.find('?') == std::string::npos ? "?" : "&") +
         "scope=node";
}

std::optional<net::http_response> answer_in_cluster(
    const admin_context::cluster_views& cv, const net::http_request& req,
    const std::vector<std::string>& parts) {
  if (!cv.at_owner || !cv.at_every_node) return std::nullopt;
  auto query = rest::parse_query(req.target);
  if (query.count("scope") && query["scope"] == "node") return std::nullopt;
  auto is = [&](std::initializer_list<std::string_view> p, const char* m) {
    return is_call(parts, req.method, p, m);
  };
  net::http_request scoped = req;
  scoped.target = node_scoped(req.target);
  if (is({"conversations", "*"}, "GET") ||
      is({"conversations", "*", "messages"}, "GET"))
    return cv.at_owner(parts[3], req);
  if (is({"users"}, "GET")) {
    std::set<std::string> users;
    auto all = cv.at_every_node(scoped);
    for (auto& r : all)
      if (auto o = object_of(r); o && r.status == 200)
        for (auto& u : array_of(*o, "users"))
          if (u.is_string()) users.insert(std::string(u.as_string()));
    json::array list;
    for (auto& u : users) list.emplace_back(u);
    json::object o{{"users", std::move(list)}};
    if (auto f = failures(all); !f.empty()) o["unanswered"] = std::move(f);
    return with_body(std::move(o));
  }
  if (is({"users", "*"}, "GET")) {
    auto owner = cv.at_owner(parts[3], req);
    json::array conns;
    auto all = cv.at_every_node(scoped);
    for (auto& r : all)
      if (auto o = object_of(r); o && r.status == 200)
        for (auto& c : array_of(*o, "connections")) conns.push_back(c);
    auto o = object_of(owner);
    if (owner.status ==
            common::info(common::proto_code::not_found).http_status &&
        !conns.empty())
      o = json::object{
          {"user_id", parts[3]}, {"last_seen", nullptr}, {"conversations", 0}};
    else if (owner.status != 200 || !o)
      return owner;
    (*o)["online"] = !conns.empty();
    (*o)["connections"] = std::move(conns);
    // Connections at those nodes are not listed (nor is `online` sure).
    // A node with neither the user's connections nor its shard answers
    // 404: no failure.
    if (auto f = failures(all, common::info(proto_code::not_found).http_status);
        !f.empty())
      (*o)["unanswered"] = std::move(f);
    return with_body(std::move(*o));
  }
  // A user's devices and pushes are at the user's shard's owner.
  if (is({"users", "*", "push-test"}, "POST"))
    return cv.at_owner(parts[3], req);
  if (is({"users", "*", "kick"}, "POST")) {
    std::int64_t closed = 0;
    auto all = cv.at_every_node(scoped);
    for (auto& r : all)
      if (auto o = object_of(r); o && r.status == 200)
        closed += count_of(*o, "closed");
    // A node without the user's connections answers 404; any other
    // failure may hide connections left open there.
    auto f = failures(all, common::info(proto_code::not_found).http_status);
    if (closed == 0 && f.empty())
      return rest::error_response(
          proto_code::not_found,
          parts[3] + " has no connection in the cluster");
    if (closed == 0) {
      std::string nodes;
      for (auto& u : f)
        nodes += (nodes.empty() ? "" : "; ") +
                 text_of(u.as_object(), "node_id") + ": " +
                 text_of(u.as_object(), "error");
      return rest::error_response(
          proto_code::unavailable,
          "no connection of " + parts[3] +
              " was closed, and nodes that may have some did not answer (" +
              nodes + "); repeat it");
    }
    json::object o{{"user_id", parts[3]}, {"closed", closed}};
    if (!f.empty()) o["unanswered"] = std::move(f);
    return with_body(std::move(o));
  }
  if (is({"users", "*", "revoke"}, "POST")) {
    // Every node checks tokens itself, so every node keeps the revocation,
    // with one time for all. It holds only once every live node has it.
    auto now = common::unix_s();
    scoped.body = json::serialize(json::object{{"not_before", now}});
    std::int64_t closed = 0;
    auto all = cv.at_every_node(scoped);
    for (auto& r : all) {
      auto o = object_of(r);
      if (r.status != 200 || !o) {
        auto res = rest::error_response(
            proto_code::unavailable,
            "the revocation is not stored on every node; repeat it: " + r.body);
        return res;
      }
      closed += (*o)["closed"].as_int64();
    }
    return with_body(json::object{
        {"user_id", parts[3]}, {"not_before", now}, {"closed", closed}});
  }
  return std::nullopt;
}

}  // namespace switchboard::admin
