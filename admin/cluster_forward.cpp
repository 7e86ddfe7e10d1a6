#include "admin/cluster_forward.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
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

bool answered_in_cluster(const std::vector<std::string>& parts,
                         const std::string& method) {
  auto n = parts.size();
  if (n < 3) return false;
  const auto& what = parts[2];
  if (what == "users")
    return (method == "GET" && (n == 3 || n == 4)) ||
           (method == "POST" && n == 5 && parts[4] == "kick");
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
  return std::nullopt;
}

}  // namespace switchboard::admin
