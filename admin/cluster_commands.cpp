#include <boost/json/value.hpp>
#include <sstream>

#include "admin/command_table.hpp"

// The admin shell's view of the cluster (docs/cluster.md); each command is
// answered by whichever node the shell is connected to.
namespace switchboard::admin::detail {

namespace json = boost::json;

namespace {

std::string pad(std::string s, std::size_t n) {
  if (s.size() < n) s.resize(n, ' ');
  return s + " ";
}

}  // namespace

std::string status_text(json::object& o) {
  auto out = key_values(o);
  auto* c = o.if_contains("cluster");
  if (!c || !c->is_object()) return out;
  auto& cl = c->as_object();
  std::ostringstream os;
  os << "cluster " << scalar(cl["name"]) << ", " << scalar(cl["nodes_live"])
     << " node(s) live\n"
     << pad("node", 8) << pad("connections", 12) << pad("users_online", 13)
     << pad("active_conversations", 21) << "messages_per_s\n";
  auto row = [&os](const std::string& id, json::object& n) {
    os << pad(id, 8) << pad(scalar(n["connections"]), 12)
       << pad(scalar(n["users_online"]), 13)
       << pad(scalar(n["active_conversations"]), 21)
       << scalar(n["messages_per_s"]) << "\n";
  };
  if (auto& ns = cl["nodes"]; ns.is_array())
    for (auto& v : ns.as_array())
      if (v.is_object()) row(scalar(v.as_object()["node_id"]), v.as_object());
  if (auto& t = cl["totals"]; t.is_object()) row("total", t.as_object());
  if (auto& us = cl["unanswered"]; us.is_array())
    for (auto& v : us.as_array()) {
      if (!v.is_object()) continue;
      auto& u = v.as_object();
      bool live = u["live"] == true;
      os << pad(scalar(u["node_id"]), 8)
         << (live ? "DID NOT ANSWER: " : "DEAD: ") << scalar(u["error"])
         << "\n";
    }
  return out + os.str();
}

std::vector<command> cluster_commands() {
  return {
      {"nodes", "nodes",
       "The cluster's nodes: id, addresses, incarnation, live or dead, "
       "shards owned, connections.",
       0, 0, "",
       [](client& c, const args_t&, bool j) {
         return call(
             c, "GET", "/admin/v1/cluster/nodes", {}, j, [](json::object& o) {
               std::ostringstream os;
               os << "cluster " << scalar(o["cluster"]) << ", "
                  << scalar(o["shards"]) << " shards\n";
               for (auto& v : o["nodes"].as_array()) {
                 auto& n = v.as_object();
                 bool live = n["live"].as_bool();
                 os << pad(scalar(n["id"]), 8) << pad(live ? "live" : "DEAD", 4)
                    << "shards " << pad(scalar(n["shards"]), 5)
                    << "connections " << pad(scalar(n["connections"]), 6);
                 if (live)
                   os << "client " << scalar(n["client_addr"]) << " cluster "
                      << scalar(n["cluster_addr"]) << " admin "
                      << scalar(n["admin_addr"]) << " incarnation "
                      << scalar(n["incarnation"]);
                 os << "\n";
               }
               return os.str();
             });
       }},
      {"shards", "shards",
       "Every shard: leader, epoch, state, and each copy: in sync or not, "
       "and how many writes it is behind.",
       0, 0, "",
       [](client& c, const args_t&, bool j) {
         return call(
             c, "GET", "/admin/v1/cluster/shards", {}, j, [](json::object& o) {
               std::ostringstream os;
               for (auto& v : o["shards"].as_array()) {
                 auto& s = v.as_object();
                 os << "shard " << pad(scalar(s["shard"]), 5) << "owner "
                    << pad(scalar(s["owner"]), 8) << "epoch "
                    << pad(scalar(s["epoch"]), 4) << scalar(s["state"]);
                 if (s.contains("target")) os << " to " << scalar(s["target"]);
                 if (s.contains("owner_live") && !s["owner_live"].as_bool())
                   os << " (owner dead)";
                 if (auto* r = s.if_contains("replicas");
                     r && r->as_array().size() > 1) {
                   os << "  copies";
                   for (auto& cv : r->as_array()) {
                     auto& c = cv.as_object();
                     os << " " << scalar(c["node"]);
                     if (!c["in_sync"].as_bool()) os << "(catching up)";
                     if (!c["live"].as_bool()) os << "(dead)";
                     if (auto* lag = c.if_contains("lag");
                         lag && lag->is_int64() && lag->as_int64() != 0)
                       os << "(lag " << lag->as_int64() << ")";
                   }
                 }
                 os << "\n";
               }
               return os.str();
             });
       }},
      {"where", "where CONV|USER",
       "The shard of a conversation or user id and the node that owns it.", 1,
       1, "-",
       [](client& c, const args_t& a, bool j) {
         return call(
             c, "GET", "/admin/v1/cluster/where/" + encode(a[0]), {}, j,
             [](json::object& o) {
               std::string out = scalar(o["id"]) + ": shard " +
                                 scalar(o["shard"]) + ", owner " +
                                 scalar(o["owner"]) + ", epoch " +
                                 scalar(o["epoch"]) + ", " + scalar(o["state"]);
               if (o.contains("owner_live") && !o["owner_live"].as_bool())
                 out += " (owner dead)";
               return out + "\n";
             });
       }},
      {"transfer", "transfer SHARD NODE",
       "Hands the leadership of SHARD to NODE, which must hold a copy in "
       "sync: the shard pauses for one write and one etcd transaction.",
       2, 2, "-",
       [](client& c, const args_t& a, bool j) -> outcome {
         std::int64_t shard = -1;
         try {
           std::size_t used = 0;
           shard = std::stoll(a[0], &used);
           if (used != a[0].size()) shard = -1;
         } catch (const std::exception&) {
           shard = -1;
         }
         if (shard < 0)
           return {false,
                   "error: SHARD must be a shard number, got '" + a[0] + "'"};
         return call(c, "POST", "/admin/v1/cluster/transfer",
                     json::object{{"shard", shard}, {"node", a[1]}}, j,
                     [](json::object& o) {
                       return "shard " + scalar(o["shard"]) + ": " +
                              scalar(o["from"]) + " -> " + scalar(o["owner"]) +
                              ", epoch " + scalar(o["epoch"]) + "\n";
                     });
       }},
      {"rebalance", "rebalance [--dry-run]",
       "Moves shards one at a time to where rendezvous placement over the "
       "live nodes puts them: their copies (a new one in sync before an old "
       "one goes), then their leadership; --dry-run lists the moves only.",
       0, 1, "-",
       [](client& c, const args_t& a, bool j) -> outcome {
         bool dry = !a.empty() && a[0] == "--dry-run";
         if (!a.empty() && !dry)
           return {false, "error: the only option is --dry-run"};
         return call(
             c, "POST", "/admin/v1/cluster/rebalance",
             json::object{{"dry_run", dry}}, j, [dry](json::object& o) {
               std::ostringstream os;
               for (auto& v : o["moves"].as_array()) {
                 auto& m = v.as_object();
                 os << "shard " << pad(scalar(m["shard"]), 5)
                    << scalar(m["from"]) << " -> " << scalar(m["to"]);
                 if (m.contains("error"))
                   os << ": failed: " << scalar(m["error"]);
                 os << "\n";
               }
               if (o.contains("copies"))
                 for (auto& v : o["copies"].as_array()) {
                   auto& m = v.as_object();
                   os << "shard " << pad(scalar(m["shard"]), 5) << "copy "
                      << (m["remove"] == "" ? "-" : scalar(m["remove"]))
                      << " -> " << (m["add"] == "" ? "-" : scalar(m["add"]));
                   if (m.contains("error"))
                     os << ": failed: " << scalar(m["error"]);
                   os << "\n";
                 }
               if (dry)
                 os << scalar(o["planned"]) << " move(s), "
                    << scalar(o["copies_planned"]) << " copy move(s) planned\n";
               else
                 os << scalar(o["moved"]) << " moved, " << scalar(o["failed"])
                    << " failed\n";
               return os.str();
             });
       }},
  };
}

}  // namespace switchboard::admin::detail
