#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <set>

#include "admin/cluster_forward.hpp"
#include "app/cluster_node_impl.hpp"
#include "rest/http_errors.hpp"
#include "storage/shard.hpp"

// The cluster as the admin shell shows it (docs/cluster.md): nodes, shards,
// where an id lives, and rebalance.
namespace switchboard::app {

using common::proto_code;

namespace json = boost::json;

namespace {

using state = cluster::shard_record::state_kind;

constexpr auto ask_timeout = std::chrono::milliseconds(1000);
// One shard's move, asked of its owner: the copy of a large shard takes a
// while, but never forever.
constexpr auto move_timeout = std::chrono::milliseconds(120000);
// How long rebalance tries a move again that met a change of its record.
constexpr auto retry_for = std::chrono::seconds(30);
constexpr auto retry_pause = std::chrono::milliseconds(100);

// Each node's positions of every shard ({epoch, seq} per shard, in
// order), as far as it answered.
using positions_by_node = std::map<std::string, std::vector<std::int64_t>>;

json::object shard_json(std::uint32_t n,
                        const std::optional<cluster::shard_record>& r,
                        const std::set<std::string>& live,
                        const positions_by_node& positions = {}) {
  json::object o{{"shard", n}};
  if (!r) {
    o["owner"] = nullptr;
    o["epoch"] = 0;
    o["state"] = "unowned";
    return o;
  }
  o["owner"] = r->owner;
  o["epoch"] = r->epoch;
  o["owner_live"] = live.count(r->owner) != 0;
  o["state"] = std::string(cluster::to_string(r->state));
  if (r->state == state::moving) o["target"] = r->target;
  // The copies: in sync or not, live or not, and how many group writes
  // each is behind the leader ("lag"), where both said where they stand.
  auto seq_of = [&](const std::string& id) -> std::optional<std::int64_t> {
    auto it = positions.find(id);
    if (it == positions.end() || it->second.size() <= 2 * n + 1)
      return std::nullopt;
    return it->second[2 * n + 1];
  };
  auto leader_seq = seq_of(r->owner);
  json::array isr, replicas;
  for (auto& i : r->isr) isr.emplace_back(i);
  for (auto& id : r->replicas) {
    json::object c{{"node", id},
                   {"in_sync", cluster::in_isr(*r, id)},
                   {"live", live.count(id) != 0}};
    if (auto s = seq_of(id)) {
      c["seq"] = *s;
      if (leader_seq) c["lag"] = *leader_seq - *s;
    }
    replicas.emplace_back(std::move(c));
  }
  o["isr"] = std::move(isr);
  o["replicas"] = std::move(replicas);
  return o;
}

// A failed answer's body naming the node it came from, so that a merged
// answer can say which node did not answer.
std::string named(const std::string& body, const std::string& id) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  if (ec || !v.is_object())
    v = json::object{
        {"error", json::object{{"code", common::wire(proto_code::unavailable)},
                               {"message", body}}}};
  v.as_object()["node_id"] = id;
  return json::serialize(v);
}

std::set<std::string> live_ids(const cluster::coordinator& c) {
  std::set<std::string> ids;
  for (auto& n : c.live_nodes()) ids.insert(n.id);
  return ids;
}

}  // namespace

std::string cluster_node::nodes_json() {
  auto& p = *impl_;
  auto map = p.coord->shard_map();
  std::map<std::string, std::int64_t> owned;
  for (auto& r : map)
    if (r) ++owned[r->owner];
  json::array list;
  std::set<std::string> seen;
  for (auto& n : p.coord->live_nodes()) {
    seen.insert(n.id);
    std::string why = "no connection to it";
    auto conns = p.node.ask_connections(p.registry_of(n.id), ask_timeout, &why);
    if (!conns)
      metrics::emit(
          p.log, "warn", "peer_ask_failed",
          {{"node_id", n.id}, {"ask", "connections"}, {"error", why}});
    json::object o{{"id", n.id},
                   {"live", true},
                   {"cluster_addr", n.cluster_addr},
                   {"client_addr", n.client_addr},
                   {"admin_addr", n.admin_addr},
                   {"incarnation", std::to_string(n.incarnation)},
                   {"version", n.version},
                   {"started_ms", n.started_ms},
                   {"shards", owned[n.id]}};
    if (conns)
      o["connections"] = *conns;
    else
      o["connections"] = nullptr;  // it did not answer
    list.emplace_back(std::move(o));
  }
  // A node that owns shards and has no key is dead (docs/ARCHITECTURE.md
  // "cluster/": its lease expired): its shards are unavailable until it
  // returns.
  for (auto& [id, n] : owned)
    if (!seen.count(id))
      list.emplace_back(json::object{{"id", id},
                                     {"live", false},
                                     {"shards", n},
                                     {"connections", nullptr}});
  return json::serialize(json::object{{"cluster", p.cluster_name},
                                      {"shards", p.coord->shards()},
                                      {"nodes", std::move(list)}});
}

std::string cluster_node::shards_json() {
  auto& p = *impl_;
  auto live = live_ids(*p.coord);
  auto map = p.coord->shard_map();
  positions_by_node positions;
  for (auto& id : live) {
    std::string why = "no connection to it";
    if (auto got = p.node.ask_positions(p.registry_of(id), ask_timeout, &why))
      positions[id] = std::move(*got);
    else
      metrics::emit(p.log, "warn", "peer_ask_failed",
                    {{"node_id", id}, {"ask", "positions"}, {"error", why}});
  }
  json::array list;
  for (std::uint32_t n = 0; n < map.size(); ++n)
    list.emplace_back(shard_json(n, map[n], live, positions));
  return json::serialize(
      json::object{{"shards", std::move(list)},
                   {"replicas", p.coord->meta().replicas},
                   {"min_insync", p.coord->meta().min_insync}});
}

std::string cluster_node::where_json(const std::string& id) {
  auto& p = *impl_;
  auto n = storage::shard_of(id, p.coord->shards());
  auto o = shard_json(n, p.coord->shard(n), live_ids(*p.coord));
  o["id"] = id;
  return json::serialize(o);
}

std::string cluster_node::rebalance_json(bool dry_run) {
  auto& p = *impl_;
  // Asks the shard's leader (this node or a peer) `m`, or runs `here` when
  // it is this node. The keeper changes records too (a copy added, a
  // follower brought into sync): a step that met such a change, or a copy
  // still catching up, or a new copy that had not settled where it stands
  // (its join undid itself: a loaded node still applying the catch-up), is
  // tried again for a while.
  auto at_leader = [&](std::uint32_t shard, auto done, auto here,
                       caf::message m) {
    std::string why;
    auto give_up = clock::now() + retry_for;
    for (;;) {
      auto rec = p.coord->shard(shard);
      if (!rec)
        why = "the shard has no owner";
      else if (done(*rec))
        why.clear();
      else if (rec->owner == p.coord->self().id)
        why = here();
      else
        why = p.node.ask(p.registry_of(rec->owner), m, move_timeout);
      bool again =
          why.find("changed meanwhile") != std::string::npos ||
          why.find("catching up") != std::string::npos ||
          why.find("did not say where its copy stands") != std::string::npos ||
          why.find("is running here") != std::string::npos;
      if (!again || clock::now() >= give_up) return why;
      std::this_thread::sleep_for(retry_pause);
    }
  };
  std::size_t moved = 0, failed = 0;
  auto outcome = [&](json::object& o, const std::string& why) {
    if (why.empty()) {
      ++moved;
      o["moved"] = true;
    } else {
      ++failed;
      o["moved"] = false;
      o["error"] = why;
    }
  };
  // Copies first, so that leadership moves to a copy in sync (a transfer,
  // not a copy of the shard), then the copies of the old leaders.
  json::array copies;
  std::size_t copies_planned = 0;
  auto move_copies = [&] {
    auto planned = p.coord->planned_copy_moves();
    copies_planned += planned.size();
    for (auto& c : planned) {
      json::object o{{"shard", c.shard}, {"add", c.add}, {"remove", c.remove}};
      if (!dry_run)
        outcome(o, at_leader(
                       c.shard,
                       [&](const cluster::shard_record& r) {
                         return (c.add.empty() || cluster::in_isr(r, c.add)) &&
                                (c.remove.empty() ||
                                 !cluster::is_replica(r, c.remove));
                       },
                       [&] { return p.move_copy(c.shard, c.add, c.remove); },
                       caf::make_message(actors::move_atom::value, c.shard,
                                         c.add, c.remove)));
      copies.emplace_back(std::move(o));
    }
  };
  move_copies();
  auto planned = p.coord->planned_moves();
  json::array moves;
  for (auto& [shard, target] : planned) {
    auto rec = p.coord->shard(shard);
    json::object o{{"shard", shard},
                   {"from", rec ? rec->owner : std::string()},
                   {"to", target}};
    if (!dry_run)
      outcome(
          o,
          at_leader(
              shard,
              [&](const cluster::shard_record& r) { return r.owner == target; },
              [&] { return p.move(shard, target); },
              caf::make_message(actors::move_atom::value, shard, target)));
    moves.emplace_back(std::move(o));
  }
  if (!dry_run) move_copies();
  json::object out{{"dry_run", dry_run},
                   {"planned", planned.size()},
                   {"moves", std::move(moves)},
                   {"copies_planned", copies_planned},
                   {"copies", std::move(copies)}};
  if (!dry_run) {
    out["moved"] = moved;
    out["failed"] = failed;
  }
  return json::serialize(out);
}

net::http_response cluster_node::transfer_json(std::uint32_t shard,
                                               const std::string& node) {
  auto& p = *impl_;
  auto rec = p.coord->shard(shard);
  if (shard >= p.coord->shards() || !rec)
    return rest::error_response(
        proto_code::bad_request,
        "shard " + std::to_string(shard) + " does not exist or has no owner");
  if (rec->owner == node)
    return rest::error_response(
        proto_code::bad_request,
        "node " + node + " leads shard " + std::to_string(shard) + " already");
  if (!cluster::in_isr(*rec, node))
    return rest::error_response(
        proto_code::bad_request, "node " + node + " holds no copy of shard " +
                                     std::to_string(shard) +
                                     " in sync (in sync: " +
                                     [&] {
                                       std::string s;
                                       for (auto& i : rec->isr)
                                         s += (s.empty() ? "" : ",") + i;
                                       return s;
                                     }() +
                                     ")");
  std::string why;
  if (rec->owner == p.coord->self().id)
    why = p.move(shard, node);
  else
    why = p.node.ask(p.registry_of(rec->owner),
                     caf::make_message(actors::move_atom::value, shard, node),
                     move_timeout);
  if (!why.empty()) return rest::error_response(proto_code::unavailable, why);
  // This node's copy of the map learns of the txn from its watch.
  auto deadline = clock::now() + std::chrono::seconds(2);
  while (clock::now() < deadline) {
    auto now = p.coord->shard(shard);
    if (now && now->owner == node) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  net::http_response res;
  auto o = shard_json(shard, p.coord->shard(shard), live_ids(*p.coord));
  o["from"] = rec->owner;
  res.body = json::serialize(o);
  return res;
}

net::http_response cluster_node::admin_at_owner(const std::string& id,
                                                const net::http_request& req) {
  auto& p = *impl_;
  auto r = p.node.dir().route_of(id);
  caf::actor registry;
  if (r.what == route::kind::local)
    registry = p.node.registry();
  else if (r.what == route::kind::remote)
    registry = r.registry;
  net::http_response res;
  if (!registry) {
    res = rest::error_response(proto_code::unavailable, r.reason);
    return res;
  }
  auto [status, body] =
      p.node.ask_admin(registry, req.method, admin::node_scoped(req.target),
                       req.body, ask_timeout * 2);
  res.status = status;
  res.body = std::move(body);
  return res;
}

std::vector<net::http_response> cluster_node::admin_at_every_node(
    const net::http_request& req) {
  auto& p = *impl_;
  std::vector<net::http_response> out;
  for (auto& n : p.coord->live_nodes()) {
    auto [status, body] = p.node.ask_admin(
        p.registry_of(n.id), req.method, req.target, req.body, ask_timeout * 2);
    net::http_response res;
    res.status = status;
    res.body = status >= 400 ? named(body, n.id) : std::move(body);
    out.push_back(std::move(res));
  }
  return out;
}

}  // namespace switchboard::app
