#include "app/serve.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <deque>
#include <iostream>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>

#include "actors/conversation_ids.hpp"
#include "actors/node.hpp"
#include "admin/api.hpp"
#include "admin/cluster_forward.hpp"
#include "app/args.hpp"
#include "app/cluster_node.hpp"
#include "app/config.hpp"
#include "app/descriptors.hpp"
#include "app/log.hpp"
#include "app/messages_rate.hpp"
#include "app/ops_routes.hpp"
#include "app/push_setup.hpp"
#include "app/static_files.hpp"
#include "app/token_auth.hpp"
#include "auth/secret.hpp"
#include "auth/token_verifier.hpp"
#include "metrics/metrics.hpp"
#include "net/server.hpp"
#include "push/service.hpp"
#include "rest/api.hpp"
#include "rest/dev_login.hpp"
#include "rest/http_errors.hpp"
#include "rest/json_body.hpp"
#include "rest/route.hpp"
#include "storage/store.hpp"

namespace switchboard::app {

using common::proto_code;

namespace {

bool is_loopback(const std::string& host) {
  return host == "127.0.0.1" || host == "::1" || host == "localhost" ||
         host.rfind("127.", 0) == 0;
}

void print_usage(std::ostream& os) {
  os << "usage: switchboard serve [options]\n\n"
        "Runs a node. Every option has one name in three places: the flag\n"
        "--max-body, the environment variable SWITCHBOARD_MAX_BODY and the "
        "key\n"
        "max_body of the --config file. Flags win over the environment, which\n"
        "wins over the file.\n\n";
  for (auto& o : options_table()) {
    os << "  --" << o.name;
    // At least one space after a name as long as the column, or longer.
    for (std::size_t n = o.name.size(); n < 20 || n == o.name.size(); ++n)
      os << ' ';
    os << o.help;
    if (!o.default_value.empty()) os << " (default " << o.default_value << ")";
    os << "\n";
  }
}

}  // namespace

int serve_main(int argc, char** argv) {
  config cfg;
  net::server_options net_opts, admin_opts;
  std::string secret, admin_token;
  try {
    std::set<std::string> known;
    for (auto& o : options_table()) known.insert(o.name);
    auto a = parse_args(argc, argv, 2, known, {"help", "dev-login"});
    if (a.has("help")) {
      print_usage(std::cout);
      return 0;
    }
    if (!a.positional.empty())
      throw std::invalid_argument("unexpected argument '" + a.positional[0] +
                                  "'");
    cfg = load_config(a.options, switchboard_env());
    net_opts = cfg.server_options();
    if (!cfg.admin_listen.empty()) {
      admin_opts = cfg.admin_server_options();
      if (!is_loopback(admin_opts.host) && cfg.admin_token.empty())
        throw std::invalid_argument(
            "--admin-listen " + cfg.admin_listen +
            " is not a loopback address: set --admin-token");
      admin_token = auth::load_or_create_secret(cfg.admin_token, cfg.data_dir,
                                                "admin_token");
    }
    if (cfg.dev_login && !is_loopback(net_opts.host))
      throw std::invalid_argument(
          "--dev-login mints a token for anyone who asks: it is refused "
          "unless --listen is a loopback address (" +
          cfg.listen + " is not)");
    if (!cfg.etcd.empty()) (void)cfg.cluster_host_port();  // validates
    auth::make_private_dir(cfg.data_dir);
    secret = auth::load_or_create_secret(cfg.jwt_secret, cfg.data_dir);
    if (secret.size() < auth::min_secret_bytes)
      throw std::invalid_argument(
          "the token secret is " + std::to_string(secret.size()) +
          " bytes; at least " + std::to_string(auth::min_secret_bytes) +
          " are required (make one with: openssl rand -hex 32)");
  } catch (const std::exception& e) {
    std::cerr << "switchboard serve: " << e.what() << "\n";
    std::cerr << "run 'switchboard serve --help' for the options\n";
    return 2;
  }
  set_log_level(cfg.log_level);

  // Signals are taken by sigwait below, never by another thread.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  // A write to a peer that closed (libcurl's TLS connections to the push
  // providers write with plain write(2); CURLOPT_NOSIGNAL leaves SIGPIPE to
  // us) fails with EPIPE instead of ending the node.
  ::signal(SIGPIPE, SIG_IGN);

  std::atomic<node_state> state{node_state::starting};
  metrics::node_metrics m;
  // The lower layers' log lines (storage, actors, net) go to this one.
  metrics::log_sink sink = log_sink();
  auto store_opts = cfg.store_options();
  store_opts.on_commit = [&m](std::size_t batches, std::uint64_t ns) {
    m.commit_batches.observe(static_cast<double>(batches));
    m.commit_seconds.observe(static_cast<double>(ns) / 1e9);
  };
  store_opts.log = sink;
  m.store_writable.set(1);
  auto failures_seen = std::make_shared<std::atomic<std::uint64_t>>(0);
  store_opts.on_health = [&m, failures_seen](const storage::store_health& h) {
    m.store_writable.set(h.writable ? 1 : 0);
    if (!h.writable) m.store_unwritable.inc();
    auto before = failures_seen->exchange(h.write_failures);
    if (h.write_failures > before)
      m.store_write_failures.inc(h.write_failures - before);
  };
  auto opened = storage::store::open(store_opts);
  if (!opened) {
    log("error", "store_open_failed",
        {{"data_dir", cfg.data_dir}, {"error", opened.err().message}});
    return 1;
  }
  auto store = std::move(*opened);
  auth::revocation_list revoked;
  if (auto r = store->revocations(); !r) {
    log("error", "store_open_failed",
        {{"data_dir", cfg.data_dir}, {"error", r.err().message}});
    return 1;
  } else {
    for (auto& [user, t] : *r) revoked.revoke(user, t);
  }
  // Push notifications (docs/push.md): before the node, which calls them,
  // and gone after it.
  bool push_ok = false;
  auto pushes = make_push_service(cfg, *store, sink, m, push_ok);
  if (!push_ok) return 1;
  actors::node_options node_opts{cfg.node_id,
                                 cfg.lim,
                                 cfg.scheduler_threads,
                                 cfg.io_threads,
                                 &m,
                                 actors::direct_id_secret(secret),
                                 sink};
  node_opts.push = pushes.get();
  if (!cfg.etcd.empty()) {
    node_opts.cluster = true;
    std::tie(node_opts.cluster_host, node_opts.cluster_port) =
        cfg.cluster_host_port();
    node_opts.cluster_app_id = cluster_app_id(cfg.cluster);
  }
  std::unique_ptr<actors::node> rt;
  try {
    rt = std::make_unique<actors::node>(*store, node_opts);
  } catch (const std::runtime_error& e) {
    log("error", "listen_failed", {{"error", e.what()}});
    return 1;
  }
  // Owned here; read by the listeners' and the admin API's threads through
  // `joined`, which is set once the node has joined and cleared before the
  // node leaves.
  // What the outbox holds is sent from now on; bursts wake their
  // conversations' actors.
  if (pushes && !cfg.etcd.empty())
    pushes->set_cluster(
        [r = rt.get()](const std::string& id) { return r->leads(id); },
        // Each push waits for its badge on the push worker: a node that
        // does not answer costs a quarter second, not the request timeout.
        [r = rt.get(), t = std::min(cfg.lim.remote_request_timeout,
                                    std::chrono::milliseconds(250))](
            const std::string& user) {
          return r->unread_conversations(user, t);
        });
  // Whatever path leaves from here, the push service stops before the node
  // it calls into goes (the guard is destroyed before `rt`).
  struct stop_pushes {
    push::service* p;
    ~stop_pushes() {
      if (p) p->stop();
    }
  } push_guard{pushes.get()};
  if (pushes)
    pushes->start(
        [r = rt.get()](storage::push_entry e) { r->wake_push_burst(e); });
  std::unique_ptr<cluster_node> cluster;
  std::atomic<cluster_node*> joined_node{nullptr};
  if (!cfg.etcd.empty()) cluster_node::hold(*rt);

  static_files web(cfg.web_root.empty() ? default_web_root() : cfg.web_root);
  // The browser page's push settings: the key its service worker
  // subscribes with (empty: Web Push is off on this node).
  web.add("/push-config.json", "application/json",
          rest::json_response(
              200,
              {{"webpush_key", pushes ? pushes->webpush_key() : std::string()}})
              .body);
  net::server_handlers handlers;
  auto key = std::make_shared<const auth::hs256_key>(secret);
  auth::token_verifier tokens(
      key, auth::time_rules{cfg.token_leeway_s, cfg.token_max_lifetime_s},
      &revoked);
  rest::api_options api;
  api.webpush_allow_private = cfg.webpush_allow_private;
  handlers.http = [&rt, &state, &m, &web, &tokens, key, &joined_node, api,
                   dev_login = cfg.dev_login, st = store.get()](
                      net::http_request req, net::http_reply reply) {
    if (req.target.rfind("/v1/", 0) == 0 && state == node_state::draining)
      return reply(rest::error_response(proto_code::unavailable,
                                        "the node is shutting down"));
    if (rest::handle_dev_login(dev_login, *key, req, reply)) return;
    if (rest::handle(*rt, tokens, api, req, reply)) return;
    if (handle_ops(req, reply, state, m, *st, joined_node.load())) return;
    if (web.handle(req, reply)) return;
    reply(rest::error_response(proto_code::not_found, "no such path"));
  };
  handlers.authenticate = token_authenticator(tokens);
  // The transport's own refusals carry the protocol's error body.
  handlers.refusal = rest::error_response;
  handlers.open_websocket = [&rt](
                                const std::string& user,
                                std::shared_ptr<actors::client_connection> conn,
                                const std::string& remote) {
    return rt->open_session(user, std::move(conn), remote);
  };
  handlers.metrics = &m;
  handlers.log = sink;
  // Descriptors: the store's first, then client connections; past the
  // budget a connection is refused (503), so the store never runs out.
  auto fds = budget_descriptors(storage::store_max_open_files);
  if (net_opts.max_connections == 0 ||
      net_opts.max_connections > fds.connections) {
    if (net_opts.max_connections > fds.connections)
      log("warn", "max_connections_lowered",
          {{"configured", std::to_string(net_opts.max_connections)},
           {"budget", std::to_string(fds.connections)}});
    net_opts.max_connections = fds.connections;
  }
  log("info", "descriptors",
      {{"limit", std::to_string(fds.limit)},
       {"reserved_for_store", std::to_string(fds.reserved)},
       {"max_connections", std::to_string(net_opts.max_connections)}});
  net::server srv(net_opts, handlers);
  std::uint16_t port = 0;
  try {
    port = srv.start();
  } catch (const std::runtime_error& e) {
    log("error", "listen_failed", {{"error", e.what()}});
    return 1;
  }
  // The admin API, on its own listener.
  messages_rate rate(m);
  std::unique_ptr<admin::admin_api> admin_api;
  auto admin_api_ptr =
      std::make_shared<std::atomic<admin::admin_api*>>(nullptr);
  std::unique_ptr<net::server> admin_srv;
  std::string admin_addr;
  if (!cfg.admin_listen.empty()) {
    admin::admin_context actx;
    actx.node_id = cfg.node_id;
    actx.version = SWITCHBOARD_VERSION;
    actx.durability = cfg.durability;
    actx.data_dir = cfg.data_dir;
    actx.admin_token = admin_token;
    actx.jwt_secret = secret;
    if (cfg.jwt_secret.empty()) actx.secret_file = cfg.data_dir + "/jwt_secret";
    actx.started = std::chrono::steady_clock::now();
    actx.node = rt.get();
    actx.store = store.get();
    actx.push = pushes.get();
    actx.metrics = &m;
    actx.revoked = &revoked;
    actx.messages_per_s = [&rate] { return rate.per_second(); };
    actx.set_log_level = [](std::string level) {
      set_log_level(level);
      log("info", "log_level", {{"level", level}});
    };
    actx.drain = [] { ::kill(::getpid(), SIGTERM); };
    if (!cfg.etcd.empty()) {
      // The cluster joins after the listeners start: the views find it
      // through `cluster`, and answer 503 until it is there.
      auto joined = [&joined_node] { return joined_node.load(); };
      const std::string not_yet =
          rest::error_response(proto_code::unavailable, "joining the cluster")
              .body;
      actx.cluster.nodes = [joined, not_yet] {
        return joined() ? joined()->nodes_json() : not_yet;
      };
      actx.cluster.shards = [joined, not_yet] {
        return joined() ? joined()->shards_json() : not_yet;
      };
      actx.cluster.where = [joined, not_yet](const std::string& id) {
        return joined() ? joined()->where_json(id) : not_yet;
      };
      actx.cluster.rebalance = [joined, not_yet](bool dry) {
        return joined() ? joined()->rebalance_json(dry) : not_yet;
      };
      actx.cluster.transfer = [joined](std::uint32_t shard,
                                       const std::string& node) {
        if (!joined())
          return rest::error_response(proto_code::unavailable,
                                      "joining the cluster");
        return joined()->transfer_json(shard, node);
      };
      actx.cluster.at_owner = [joined](const std::string& id,
                                       const net::http_request& req) {
        if (!joined())
          return rest::error_response(proto_code::unavailable,
                                      "joining the cluster");
        return joined()->admin_at_owner(id, req);
      };
      actx.cluster.at_every_node = [joined](const net::http_request& req) {
        std::vector<net::http_response> none;
        return joined() ? joined()->admin_at_every_node(req) : none;
      };
    }
    admin_api = std::make_unique<admin::admin_api>(std::move(actx));
    admin_api_ptr->store(admin_api.get());
    // Peers forward admin requests about what this node holds (cluster).
    // Cleared before the API goes (a peer's request may come late).
    rt->set_admin_handler([api = admin_api_ptr, admin_token](
                              std::string method, std::string target,
                              std::string body,
                              std::function<void(int, std::string)> done) {
      auto* a = api->load();
      // The cluster port has no authentication of its own: a peer may ask
      // only for this node's share of a cluster-wide answer.
      auto refuse = [&](proto_code code, const char* why) {
        auto res = rest::error_response(code, why);
        done(res.status, std::move(res.body));
      };
      if (!admin::peer_may_ask(admin::path_parts(target), method) ||
          rest::parse_query(target)["scope"] != "node")
        return refuse(proto_code::forbidden,
                      "not a request a peer may forward");
      if (!a) return refuse(proto_code::unavailable, "the node is stopping");
      net::http_request req;
      req.method = std::move(method);
      req.target = std::move(target);
      req.body = std::move(body);
      req.authorization = "Bearer " + admin_token;
      a->handle(std::move(req), [done](net::http_response res) {
        done(res.status, std::move(res.body));
      });
    });
    net::server_handlers ah;
    ah.http = [api = admin_api.get()](net::http_request req,
                                      net::http_reply reply) {
      api->handle(std::move(req), std::move(reply));
    };
    ah.refusal = rest::error_response;
    // The admin port's accept and socket failures reach the log as the
    // client port's do (its limits are not counted with the clients').
    ah.log = sink;
    admin_srv = std::make_unique<net::server>(admin_opts, ah);
    try {
      admin_addr = admin_opts.host + ":" + std::to_string(admin_srv->start());
    } catch (const std::runtime_error& e) {
      log("error", "listen_failed", {{"error", e.what()}});
      return 1;
    }
  }
  auto addr = net_opts.host + ":" + std::to_string(port);
  if (!cfg.etcd.empty()) {
    try {
      cluster = cluster_node::start(
          cfg, *rt, addr, admin_addr, m, sink,
          [&revoked, st = store.get()](const cluster_node::revocations& list) {
            storage::batch b;
            b.skip_replication();  // every node keeps every revocation
            for (auto& [user, t] : list)
              if (t > revoked.not_before(user)) b.put_revocation(user, t);
            if (b.empty()) return;
            // Applied either way (refusing tokens is the safe side); one
            // not stored is forgotten by a restart, which the log says.
            if (auto s = st->commit_and_wait(std::move(b)); !s)
              log("error", "revocations_not_stored",
                  {{"error", s.err().message},
                   {"applied", "in memory only, until a restart"}});
            for (auto& [user, t] : list) revoked.revoke(user, t);
          });
      joined_node = cluster.get();
    } catch (const std::runtime_error& e) {
      log("error", "cluster_join_failed",
          {{"etcd", cfg.etcd}, {"cluster", cfg.cluster}, {"error", e.what()}});
      return 1;
    }
  }
  state = node_state::ready;
  log("info", "listening",
      {{"addr", addr},
       {"admin_addr", admin_addr},
       {"data_dir", cfg.data_dir},
       {"durability", cfg.durability},
       {"node_id", cfg.node_id},
       {"web_root", web.root()},
       {"dev_login", cfg.dev_login ? "on" : "off"},
       {"cluster", cfg.etcd.empty() ? "" : cfg.cluster},
       {"cluster_addr", cfg.etcd.empty()
                            ? ""
                            : node_opts.cluster_host + ":" +
                                  std::to_string(rt->cluster_port())}});

  int sig = 0;
  sigwait(&stop_signals, &sig);
  // Drain: refuse new work, let what started finish and be acknowledged,
  // close the connections with 1001, then close the store cleanly.
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::seconds(cfg.shutdown_timeout_s);
  auto left = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
        std::max(deadline - std::chrono::steady_clock::now(),
                 std::chrono::steady_clock::duration{}));
  };
  log("info", "draining", {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}});
  state = node_state::draining;
  srv.begin_drain();
  if (!rt->wait_idle(left()))
    log("warn", "drain_timeout", {{"waiting_for", "requests in flight"}});
  srv.close_websockets(1001, "server shutting down");
  if (!srv.wait_websockets_closed(left()))
    log("warn", "drain_timeout", {{"waiting_for", "connections to close"}});
  srv.stop();
  // The admin API first (it joins its threads: a rebalance in progress
  // ends), then the cluster, which leaves: peers see this node gone at once.
  if (admin_srv) admin_srv->stop();
  admin_api_ptr->store(nullptr);
  admin_api.reset();
  joined_node = nullptr;
  cluster.reset();
  rate.stop();
  // The push service stops waking actors first, and goes after them (they
  // call it), before the store it writes to.
  if (pushes) pushes->stop();
  rt.reset();
  pushes.reset();
  store.reset();
  log("info", "stopped");
  return 0;
}

}  // namespace switchboard::app
