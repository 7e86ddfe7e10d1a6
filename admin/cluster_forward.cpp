#include "admin/cluster_forward.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <set>

#include "rest/http_errors.hpp"
#include "rest/route.hpp"

namespace switchboard::admin {

namespace json = boost::json;

namespace {

std::optional<json::object> object_of(const net::http_response& r) {
  boost::system::error_code ec;
  auto v = json::parse(r.body, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.as_object());
}

net::http_response with_body(json::object o) {
  net::http_response res;
  res.body = json::serialize(o);
  return res;
}

// A node that did not answer, named in the merged answer rather than left
// out silently.
json::array failures(const std::vector<net::http_response>& all) {
  json::array out;
  for (auto& r : all)
    if (r.status >= 500) out.emplace_back(r.body);
  return out;
}

}  // namespace

std::vector<std::string> path_parts(const std::string& target) {
  std::vector<std::string> parts;
  auto path = target.substr(0, target.find('?'));
  std::size_t start = 1;
  while (start <= path.size()) {
    auto slash = path.find('/', start);
    auto end = slash == std::string::npos ? path.size() : slash;
    parts.push_back(rest::percent_decode(path.substr(start, end - start)));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return parts;
}

bool peer_may_ask(const std::vector<std::string>& parts,
                  const std::string& method) {
  if (parts.size() < 2 || parts[0] != "admin" || parts[1] != "v1") return false;
  if (answered_in_cluster(parts, method)) return true;
  return false;
}

bool answered_in_cluster(const std::vector<std::string>& parts,
                         const std::string& method) {
  auto n = parts.size();
  if (n < 3) return false;
  const auto& what = parts[2];
  if (what == "users")
    return (method == "GET" && (n == 3 || n == 4)) ||
           (method == "POST" && n == 5 &&
            (parts[4] == "kick" || parts[4] == "revoke"));
  if (what == "conversations")
    return method == "GET" && (n == 4 || (n == 5 && parts[4] == "messages"));
  return false;
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
  auto n = parts.size();
  auto is = [&](std::size_t size, const char* what, const char* method) {
    return n == size && parts[2] == what && req.method == method;
  };
  net::http_request scoped = req;
  scoped.target = node_scoped(req.target);
  if (is(4, "conversations", "GET") ||
      (n == 5 && parts[2] == "conversations" && parts[4] == "messages" &&
       req.method == "GET"))
    return cv.at_owner(parts[3], req);
  if (is(3, "users", "GET")) {
    std::set<std::string> users;
    auto all = cv.at_every_node(scoped);
    for (auto& r : all)
      if (auto o = object_of(r); o && r.status == 200)
        for (auto& u : (*o)["users"].as_array())
          users.insert(std::string(u.as_string()));
    json::array list;
    for (auto& u : users) list.emplace_back(u);
    json::object o{{"users", std::move(list)}};
    if (auto f = failures(all); !f.empty()) o["unanswered"] = std::move(f);
    return with_body(std::move(o));
  }
  if (is(4, "users", "GET")) {
    auto owner = cv.at_owner(parts[3], req);
    json::array conns;
    for (auto& r : cv.at_every_node(scoped))
      if (auto o = object_of(r); o && r.status == 200)
        for (auto& c : (*o)["connections"].as_array()) conns.push_back(c);
    auto o = object_of(owner);
    if (owner.status == 404 && !conns.empty())
      o = json::object{
          {"user_id", parts[3]}, {"last_seen", nullptr}, {"conversations", 0}};
    else if (owner.status != 200 || !o)
      return owner;
    (*o)["online"] = !conns.empty();
    (*o)["connections"] = std::move(conns);
    return with_body(std::move(*o));
  }
  if (n == 5 && parts[2] == "users" && parts[4] == "kick" &&
      req.method == "POST") {
    std::int64_t closed = 0;
    for (auto& r : cv.at_every_node(scoped))
      if (auto o = object_of(r); o && r.status == 200)
        closed += (*o)["closed"].as_int64();
    if (closed == 0)
      return rest::error_response(
          404, "not_found", parts[3] + " has no connection in the cluster");
    return with_body(json::object{{"user_id", parts[3]}, {"closed", closed}});
  }
  if (n == 5 && parts[2] == "users" && parts[4] == "revoke" &&
      req.method == "POST") {
    // Every node checks tokens itself, so every node keeps the revocation,
    // with one time for all. It holds only once every live node has it.
    auto now = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    scoped.body = json::serialize(json::object{{"not_before", now}});
    std::int64_t closed = 0;
    auto all = cv.at_every_node(scoped);
    for (auto& r : all) {
      auto o = object_of(r);
      if (r.status != 200 || !o) {
        auto res = rest::error_response(
            503, "unavailable",
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
