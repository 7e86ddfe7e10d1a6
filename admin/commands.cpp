#include "admin/commands.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <filesystem>
#include <functional>
#include <sstream>

#include "admin/command_table.hpp"

namespace switchboard::admin {

namespace json = boost::json;

namespace detail {

std::string encode(const std::string& s) {
  // Everything but RFC 3986's unreserved characters (ALPHA DIGIT - . _ ~)
  // becomes %XX: safe in a path segment and in a query value alike ('/',
  // '?', '&', '=', '+' and ' ' all escaped).
  return boost::urls::encode(s, boost::urls::unreserved_chars);
}

std::string scalar(const json::value& v) {
  if (v.is_string()) return std::string(v.as_string());
  if (v.is_null()) return "-";
  return json::serialize(v);
}

// Calls the API; renders the JSON with `plain` unless json output is asked.
outcome call(client& c, const std::string& method, const std::string& target,
             const json::object& body, bool as_json,
             const std::function<std::string(json::object&)>& plain) {
  auto r = c.call(method, target,
                  body.empty() ? std::string() : json::serialize(body));
  if (r.status == 0) return {false, "error: " + r.body};
  boost::system::error_code ec;
  auto v =
      r.body.empty() ? json::value(json::object{}) : json::parse(r.body, ec);
  if (ec || !v.is_object())
    return {false, "error: the node answered " + std::to_string(r.status)};
  auto& o = v.as_object();
  if (r.status >= 400) {
    if (as_json) return {false, r.body};
    auto& e = o["error"].as_object();
    return {false, "error: " + scalar(e["code"]) + ": " + scalar(e["message"])};
  }
  if (as_json) return {true, r.body.empty() ? "{}" : r.body};
  return {true, plain(o)};
}

std::string key_values(json::object& o) {
  std::ostringstream os;
  for (auto& [k, v] : o)
    if (!v.is_array() && !v.is_object()) os << k << ": " << scalar(v) << "\n";
  return os.str();
}

std::string unanswered_lines(json::object& o) {
  std::string out;
  if (auto* us = o.if_contains("unanswered"); us && us->is_array())
    for (auto& v : us->as_array())
      if (v.is_object())
        out += "node " + scalar(v.as_object()["node_id"]) +
               " DID NOT ANSWER: " + scalar(v.as_object()["error"]) + "\n";
  return out;
}

}  // namespace detail

namespace {

using namespace detail;

const std::vector<command>& commands();

outcome help(const args_t& a) {
  std::ostringstream os;
  if (a.empty()) {
    for (auto& c : commands()) os << "  " << c.usage << "\n";
    os << "help COMMAND tells more.";
    return {true, os.str()};
  }
  for (auto& c : commands())
    if (a[0] == c.name)
      return {true, std::string("usage: ") + c.usage + "\n" + c.help};
  return {false, "error: no command '" + a[0] + "'"};
}

const std::vector<command>& commands() {
  static const std::vector<command> table = [] {
    std::vector<command> t = {
        {"status", "status",
         "Node id, version, uptime, connections, users online, active "
         "conversations, "
         "messages/s over the last minute, store size, durability. On a "
         "clustered node also the cluster: each node's connections, users "
         "online, active conversations and messages/s, their totals, and "
         "every node that did not answer.",
         0, 0, "",
         [](client& c, const args_t&, bool j) {
           return call(c, "GET", "/admin/v1/status", {}, j, status_text);
         }},
        {"users", "users [PREFIX]", "Users with a connection to this node.", 0,
         1, "u",
         [](client& c, const args_t& a, bool j) {
           return call(
               c, "GET",
               "/admin/v1/users?prefix=" + encode(a.empty() ? "" : a[0]), {}, j,
               [](json::object& o) {
                 std::string out;
                 for (auto& u : o["users"].as_array()) out += scalar(u) + "\n";
                 if (out.empty()) out = "(no users online)\n";
                 return out + unanswered_lines(o);
               });
         }},
        {"user", "user USER",
         "A user's connections (address, since), presence, last seen and "
         "number of conversations.",
         1, 1, "u",
         [](client& c, const args_t& a, bool j) {
           return call(c, "GET", "/admin/v1/users/" + encode(a[0]), {}, j,
                       [](json::object& o) {
                         auto out = key_values(o);
                         for (auto& s : o["connections"].as_array()) {
                           auto& x = s.as_object();
                           out += "connection " + scalar(x["session_id"]) +
                                  " from " + scalar(x["remote"]) + " since " +
                                  scalar(x["since"]) + "\n";
                         }
                         return out + unanswered_lines(o);
                       });
         }},
        {"kick", "kick USER [REASON]",
         "Closes every connection of USER (code 1008, with REASON).", 1,
         SIZE_MAX, "u-",
         [](client& c, const args_t& a, bool j) {
           std::string reason;
           for (std::size_t i = 1; i < a.size(); ++i)
             reason += (i > 1 ? " " : "") + a[i];
           json::object body;
           if (!reason.empty()) body["reason"] = reason;
           return call(c, "POST", "/admin/v1/users/" + encode(a[0]) + "/kick",
                       body, j, [](json::object& o) {
                         return "closed " + scalar(o["closed"]) +
                                " connection(s) of " + scalar(o["user_id"]) +
                                "\n" + unanswered_lines(o);
                       });
         }},
        {"revoke", "revoke USER",
         "Refuses every token of USER issued before now (also after a "
         "restart) and closes its connections; tokens minted from now on "
         "work.",
         1, 1, "u",
         [](client& c, const args_t& a, bool j) {
           return call(c, "POST", "/admin/v1/users/" + encode(a[0]) + "/revoke",
                       json::object{}, j, [](json::object& o) {
                         return "revoked tokens of " + scalar(o["user_id"]) +
                                " issued before " + scalar(o["not_before"]) +
                                "; closed " + scalar(o["closed"]) +
                                " connection(s)\n";
                       });
         }},
        {"conv", "conv CONV",
         "A conversation: kind, title, members with their cursors, last "
         "msg_id, "
         "whether its actor is active.",
         1, 1, "c",
         [](client& c, const args_t& a, bool j) {
           return call(c, "GET", "/admin/v1/conversations/" + encode(a[0]), {},
                       j, [](json::object& o) {
                         auto out = key_values(o);
                         for (auto& m : o["members"].as_array()) {
                           auto& x = m.as_object();
                           out += "member " + scalar(x["user_id"]) +
                                  " delivered_upto " +
                                  scalar(x["delivered_upto"]) + " read_upto " +
                                  scalar(x["read_upto"]) + "\n";
                         }
                         return out;
                       });
         }},
        {"tail", "tail CONV [N]",
         "The last N messages of a conversation (default 10).", 1, 2, "c-",
         [](client& c, const args_t& a, bool j) {
           std::string n = a.size() > 1 ? a[1] : "10";
           return call(c, "GET",
                       "/admin/v1/conversations/" + encode(a[0]) +
                           "/messages?limit=" + encode(n),
                       {}, j, [](json::object& o) {
                         std::string out;
                         for (auto& m : o["messages"].as_array()) {
                           auto& x = m.as_object();
                           out += "#" + scalar(x["msg_id"]) + " " +
                                  scalar(x["ts"]) + " " + scalar(x["sender"]) +
                                  ": " + scalar(x["body"]) + "\n";
                         }
                         return out.empty() ? std::string("(no messages)\n")
                                            : out;
                       });
         }},
        {"members", "members CONV add|remove USER...",
         "Adds or removes members, as an operator.", 3, SIZE_MAX, "c-u",
         [](client& c, const args_t& a, bool j) -> outcome {
           if (a[1] != "add" && a[1] != "remove")
             return {false, "error: say 'add' or 'remove', not '" + a[1] + "'"};
           json::array users;
           for (std::size_t i = 2; i < a.size(); ++i) users.emplace_back(a[i]);
           return call(c, "POST",
                       "/admin/v1/conversations/" + encode(a[0]) + "/members",
                       json::object{{a[1], users}}, j,
                       [](json::object&) { return std::string("ok\n"); });
         }},
        {"token", "token USER [TTL]",
         "Prints a client token for USER (TTL seconds, default 86400).", 1, 2,
         "u-",
         [](client& c, const args_t& a, bool j) -> outcome {
           json::object body{{"user", a[0]}};
           if (a.size() > 1) {
             try {
               body["ttl"] = std::stoll(a[1]);
             } catch (const std::exception&) {
               return {false, "error: TTL must be a number of seconds"};
             }
           }
           return call(
               c, "POST", "/admin/v1/tokens", body, j,
               [](json::object& o) { return scalar(o["token"]) + "\n"; });
         }},
        {"checkpoint", "checkpoint DIR",
         "A consistent copy of the store in DIR (new), usable as a "
         "data directory: start a node with --data-dir DIR to restore it.",
         1, 1, "-",
         [](client& c, const args_t& a, bool j) {
           auto dir = std::filesystem::absolute(a[0]).string();
           return call(c, "POST", "/admin/v1/checkpoint",
                       json::object{{"dir", dir}}, j, [](json::object& o) {
                         return "checkpoint written to " + scalar(o["dir"]) +
                                "\n";
                       });
         }},
        {"compact", "compact", "Compacts the store.", 0, 0, "",
         [](client& c, const args_t&, bool j) {
           return call(c, "POST", "/admin/v1/compact", {}, j,
                       [](json::object& o) {
                         return "compacted; the store takes " +
                                scalar(o["store_bytes"]) + " bytes\n";
                       });
         }},
        {"log", "log LEVEL",
         "Sets the node's log level: debug, info, warn or error.", 1, 1, "-",
         [](client& c, const args_t& a, bool j) {
           return call(c, "PUT", "/admin/v1/log", json::object{{"level", a[0]}},
                       j, [](json::object& o) {
                         return "log level " + scalar(o["level"]) + "\n";
                       });
         }},
        {"drain", "drain",
         "Drains the node as SIGTERM does: it stops taking work, finishes what "
         "started, closes connections with 1001 and exits.",
         0, 0, "",
         [](client& c, const args_t&, bool j) {
           return call(c, "POST", "/admin/v1/drain", {}, j,
                       [](json::object&) { return std::string("draining\n"); });
         }},
        {"metrics", "metrics", "The headline metrics.", 0, 0, "",
         [](client& c, const args_t&, bool j) {
           return call(c, "GET", "/admin/v1/metrics", {}, j,
                       [](json::object& o) {
                         auto out = key_values(o);
                         for (auto& [code, n] : o["errors"].as_object())
                           if (scalar(n) != "0")
                             out += "errors " + std::string(code) + ": " +
                                    scalar(n) + "\n";
                         return out;
                       });
         }},
        {"help", "help [COMMAND]", "Lists the commands, or tells about one.", 0,
         1, "-", [](client&, const args_t& a, bool) { return help(a); }},
        {"quit", "quit", "Leaves the shell.", 0, 0, "",
         [](client&, const args_t&, bool) {
           return outcome{true, ""};
         }},
    };
    auto more = cluster_commands();
    auto push = push_commands();
    more.insert(more.end(), push.begin(), push.end());
    auto top = top_commands();
    more.insert(more.end(), top.begin(), top.end());
    t.insert(t.end() - 2, more.begin(), more.end());  // before help, quit
    return t;
  }();
  return table;
}

std::size_t distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min(
          {prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

std::vector<std::string> split_words(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false, any = false;
  for (char ch : line) {
    if (ch == '"') {
      quoted = !quoted;
      any = true;
    } else if (!quoted && std::isspace(static_cast<unsigned char>(ch))) {
      if (any) out.push_back(cur);
      cur.clear();
      any = false;
    } else {
      cur.push_back(ch);
      any = true;
    }
  }
  if (any) out.push_back(cur);
  return out;
}

outcome run_command(client& c, const std::string& line, bool json) {
  auto words = split_words(line);
  if (words.empty()) return {true, ""};
  auto name = words[0];
  args_t args(words.begin() + 1, words.end());
  for (auto& cmd : commands()) {
    if (name != cmd.name) continue;
    if (args.size() < cmd.min_args || args.size() > cmd.max_args)
      return {false, std::string("usage: ") + cmd.usage};
    return cmd.run(c, args, json);
  }
  std::string best;
  std::size_t best_d = SIZE_MAX;
  for (auto& cmd : commands())
    if (auto d = distance(name, cmd.name); d < best_d)
      best_d = d, best = cmd.name;
  std::string msg = "error: unknown command '" + name + "'";
  if (best_d <= 3) msg += "; did you mean '" + best + "'?";
  return {false, msg + " (help lists the commands)"};
}

std::vector<std::string> command_names() {
  std::vector<std::string> out;
  for (auto& c : commands()) out.push_back(c.name);
  return out;
}

std::string argument_kind(const std::string& command, std::size_t arg) {
  for (auto& c : commands()) {
    if (command != c.name) continue;
    std::string kinds = c.arg_kinds;
    if (kinds.empty()) return "";
    char k = arg < kinds.size() ? kinds[arg] : kinds.back();
    return k == 'u' ? "user" : k == 'c' ? "conversation" : "";
  }
  return "";
}

}  // namespace switchboard::admin
