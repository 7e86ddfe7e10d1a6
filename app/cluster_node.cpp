#include "app/cluster_node.hpp"

#include <stdexcept>

#include "app/cluster_node_impl.hpp"
#include "app/config.hpp"
#include "common/thread_name.hpp"

namespace switchboard::app {

std::string cluster_app_id(const std::string& cluster) {
  return "switchboard/" + std::to_string(cluster_protocol_version) + "/" +
         cluster;
}

std::unique_ptr<cluster_node> cluster_node::start(
    const config& cfg, actors::node& node, std::string client_addr,
    std::string admin_addr, metrics::node_metrics& m, metrics::log_sink log,
    std::function<void(const revocations&)> learn_revocations) {
  auto p = std::make_unique<impl>(node, m, log);
  p->cluster_name = cfg.cluster;
  auto* raw = p.get();
  // Before the node registers, so that peers never see it without one.
  node.set_move_handler(
      [raw, alive = p->alive](std::uint32_t shard, std::string target,
                              std::function<void(std::string)> done) {
        std::lock_guard<std::mutex> living(alive->m);
        if (!alive->alive) return done("the node is leaving its cluster");
        {
          std::lock_guard<std::mutex> lock(raw->mtx);
          raw->moves.push_back(
              [raw, shard, target, done] { done(raw->move(shard, target)); });
        }
        raw->cv.notify_all();
      });
  node.set_copy_move_handler(
      [raw, alive = p->alive](std::uint32_t shard, std::string add,
                              std::string remove,
                              std::function<void(std::string)> done) {
        std::lock_guard<std::mutex> living(alive->m);
        if (!alive->alive) return done("the node is leaving its cluster");
        {
          std::lock_guard<std::mutex> lock(raw->mtx);
          raw->moves.push_back([raw, shard, add, remove, done] {
            done(raw->move_copy(shard, add, remove));
          });
        }
        raw->cv.notify_all();
      });
  node.set_isr_handler(
      [raw, alive = p->alive](std::uint32_t shard, std::string node_id,
                              std::function<void(std::string)> done) {
        std::lock_guard<std::mutex> living(alive->m);
        if (!alive->alive) return done("the node is leaving its cluster");
        raw->shrink(shard, std::move(node_id), std::move(done));
      });
  node.set_hello_handler([raw, alive = p->alive](const std::string& id,
                                                 std::int64_t incarnation,
                                                 const caf::actor& reg) {
    std::lock_guard<std::mutex> living(alive->m);
    if (alive->alive && raw->ready_for_hello) raw->hello(id, incarnation, reg);
  });
  cluster::coordinator_options o;
  o.etcd = cfg.etcd;
  o.cluster = cfg.cluster;
  o.ttl_s = cfg.lease_ttl_s;
  o.replicas = cfg.replicas;
  o.min_insync = cfg.min_insync;
  // A new cluster gets the data directory's S: its keys hold their shard.
  o.shards = cfg.shards != 0 ? cfg.shards : node.store().shards();
  o.self.id = cfg.node_id;
  o.self.cluster_addr =
      cfg.cluster_host_port().first + ":" + std::to_string(node.cluster_port());
  o.self.client_addr = std::move(client_addr);
  o.self.admin_addr = std::move(admin_addr);
  o.self.version = SWITCHBOARD_VERSION;
  o.on_keepalive = [&m](double seconds, bool ok) {
    if (ok)
      m.etcd_keepalive_seconds.observe(seconds);
    else
      m.etcd_keepalive_failures.inc();
  };
  o.log = [log](std::string_view level, std::string_view event,
                std::string_view detail) {
    metrics::emit(log, level, event, {{"detail", std::string(detail)}});
  };
  o.on_change = [raw] { raw->poke(); };
  // A node restarted after a crash finds its own key, kept alive by the
  // old incarnation's lease until it expires: wait that out (a live
  // duplicate keeps its key, and is refused after the wait).
  auto c = cluster::coordinator::start(o);
  auto give_up = std::chrono::steady_clock::now() +
                 std::chrono::seconds(cfg.lease_ttl_s + 2);
  if (!c && c.err().code == cluster::errc::already_exists)
    metrics::emit(log, "warn", "node_id_live",
                  {{"node_id", cfg.node_id},
                   {"detail", c.err().message},
                   {"waiting_s", std::to_string(cfg.lease_ttl_s + 2)}});
  while (!c && c.err().code == cluster::errc::already_exists &&
         std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    c = cluster::coordinator::start(o);
  }
  if (!c) {
    auto why = c.err().message;
    if (c.err().code == cluster::errc::invalid_argument && cfg.shards == 0)
      why += " (--shards was not given: it is the data directory's count, " +
             std::to_string(node.store().shards()) +
             "; a node needs a data directory with its cluster's count: "
             "start it on a new one with --shards set to that)";
    throw std::runtime_error("cannot join cluster '" + cfg.cluster +
                             "' through etcd " + cfg.etcd + ": " + why);
  }
  p->coord = std::move(*c);
  // Now, before anything can lose the lease (and the revision with it).
  auto registered_at = p->coord->key_revision();
  // The replicator asks the lease itself before each group (a cluster loop
  // that is late publishing routes must not let a stale leader write).
  node.set_lease_check([raw, alive = p->alive] {
    std::lock_guard<std::mutex> living(alive->m);
    return alive->alive && raw->coord->lease_valid();
  });
  if (p->coord->shards() != node.store().shards())
    throw std::runtime_error(
        "the data directory " + cfg.data_dir + " has " +
        std::to_string(node.store().shards()) + " shards and cluster '" +
        cfg.cluster + "' has " + std::to_string(p->coord->shards()) +
        ": start the node with --shards " + std::to_string(p->coord->shards()) +
        " on a new data directory");
  // The first routes before the node serves anybody: connect to the live
  // peers once, so that a node that starts into a running cluster does not
  // answer its first requests `unavailable` for want of a connection.
  p->ready_for_hello = true;
  p->connect_peers();
  // Peers of a smaller id connect to this node and say hello (their watch
  // sees it within a tick): wait for them a moment, so that the first
  // routes reach them. One that does not come is connected to from here
  // after hello_wait, by the loop.
  auto hellos_by = std::chrono::steady_clock::now() + hello_wait;
  while (std::chrono::steady_clock::now() < hellos_by && p->peers_missing() > 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  // Revocations are kept by every node (an `admin revoke` is made on all
  // that are live): take those made before this node joined from a peer.
  bool asked = false, learned = false;
  for (auto& n : p->coord->live_nodes()) {
    if (n.id == cfg.node_id) continue;
    asked = true;
    std::string why = "no connection to it";
    auto list = node.ask_revocations(p->registry_of(n.id),
                                     std::chrono::milliseconds(2000), &why);
    if (!list) {
      metrics::emit(log, "warn", "revocations_not_learned",
                    {{"from", n.id}, {"error", why}});
      continue;
    }
    if (learn_revocations) learn_revocations(*list);
    metrics::emit(log, "info", "revocations_learned",
                  {{"from", n.id}, {"count", std::to_string(list->size())}});
    learned = true;
    break;
  }
  // Nobody answered: revocations made while this node was away are not
  // known here, and tokens they revoked pass at this node until `admin
  // revoke` is made again. Said loudly: an operator must know.
  if (asked && !learned)
    metrics::emit(log, "error", "revocations_unknown",
                  {{"reason",
                    "no live peer answered; run `switchboard admin revoke` "
                    "again for users revoked while this node was down"}});
  // The shards its id owned before this process registered (not those it
  // claimed since): led again only at a new epoch. (No revision: every
  // shard it owns counts, which costs a txn at worst.)
  {
    auto map = p->coord->shard_map();
    std::lock_guard<std::mutex> l(p->mtx);
    for (std::uint32_t n = 0; n < map.size(); ++n)
      if (map[n] && map[n]->owner == cfg.node_id &&
          (registered_at == 0 || map[n]->mod_revision < registered_at))
        p->inherited.emplace(n, map[n]->epoch);
  }
  p->resume_inherited();
  p->publish_routes();
  p->dirty = false;
  p->loop = std::thread([raw] {
    name_thread("sb-cluster");
    raw->run();
  });
  p->mover = std::thread([raw] {
    name_thread("sb-mover");
    raw->run_jobs(raw->moves);
  });
  p->keeper = std::thread([raw] {
    name_thread("sb-keeper");
    raw->run_keeper();
  });
  p->isr_worker = std::thread([raw] {
    name_thread("sb-isr");
    raw->run_jobs(raw->isr_jobs);
  });
  return std::unique_ptr<cluster_node>(new cluster_node(std::move(p)));
}

void cluster_node::hold(actors::node& node) {
  // One shard: every id maps to it.
  node.dir().set_routes(
      {unavailable("", "the node is joining its cluster; retry")});
}

cluster_node::cluster_node(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

cluster_node::~cluster_node() {
  {
    std::lock_guard<std::mutex> living(impl_->alive->m);
    impl_->alive->alive = false;
  }
  {
    std::lock_guard<std::mutex> lock(impl_->mtx);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  if (impl_->loop.joinable()) impl_->loop.join();
  if (impl_->mover.joinable()) impl_->mover.join();
  if (impl_->keeper.joinable()) impl_->keeper.join();
  if (impl_->isr_worker.joinable()) impl_->isr_worker.join();
  impl_->coord.reset();  // revokes the lease: peers see the node gone
}

bool cluster_node::ready() const { return impl_->ready.load(); }

}  // namespace switchboard::app
