#include "app/serve.hpp"

#include <pthread.h>

#include <csignal>
#include <iostream>
#include <stdexcept>
#include <string>

#include "actors/node.hpp"
#include "app/args.hpp"
#include "app/config.hpp"
#include "app/log.hpp"
#include "app/token_auth.hpp"
#include "auth/secret.hpp"
#include "net/server.hpp"
#include "rest/api.hpp"
#include "storage/store.hpp"

namespace switchboard::app {

namespace {

void print_usage(std::ostream& os) {
  os << "usage: switchboard serve [options]\n\n"
        "Runs a node. Every option is also an environment variable:\n"
        "--max-body is SWITCHBOARD_MAX_BODY. Flags win over the environment.\n\n";
  for (auto& o : options_table()) {
    os << "  --" << o.name;
    for (std::size_t n = o.name.size(); n < 20; ++n) os << ' ';
    os << o.help;
    if (!o.default_value.empty()) os << " (default " << o.default_value << ")";
    os << "\n";
  }
}

void route(net::http_request req, net::http_reply reply) {
  auto path = req.target.substr(0, req.target.find('?'));
  net::http_response res;
  if (path.rfind("/v1/", 0) == 0) {
    res.status = 404;
    res.body = R"({"error":{"code":"not_found","message":"no such path"}})";
  } else if (path == "/healthz") {
    if (req.method != "GET" && req.method != "HEAD") {
      res.status = 405;
      res.body = R"({"error":{"code":"method_not_allowed","message":"use GET"}})";
    } else {
      res.body = R"({"status":"ok"})";
    }
  } else {
    res.status = 404;
    res.body = R"({"error":{"code":"not_found","message":"no such path"}})";
  }
  reply(std::move(res));
}

}  // namespace

int serve_main(int argc, char** argv) {
  config cfg;
  net::server_options net_opts;
  std::string secret;
  try {
    std::set<std::string> known;
    for (auto& o : options_table()) known.insert(o.name);
    auto a = parse_args(argc, argv, 2, known, {"help"});
    if (a.has("help")) {
      print_usage(std::cout);
      return 0;
    }
    if (!a.positional.empty())
      throw std::invalid_argument("unexpected argument '" + a.positional[0] + "'");
    cfg = load_config(a.options, switchboard_env());
    net_opts = cfg.server_options();
    secret = auth::load_or_create_secret(cfg.jwt_secret, cfg.data_dir);
  } catch (const std::exception& e) {
    std::cerr << "switchboard serve: " << e.what() << "\n";
    std::cerr << "run 'switchboard serve --help' for the options\n";
    return 2;
  }

  // Signals are taken by sigwait below, never by another thread.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto opened = storage::store::open(cfg.store_options());
  if (!opened) {
    log("error", "store_open_failed",
        {{"data_dir", cfg.data_dir}, {"error", opened.err().message}});
    return 1;
  }
  auto store = std::move(*opened);
  auto rt = std::make_unique<actors::node>(
      *store, actors::node_options{cfg.node_id, cfg.lim, cfg.scheduler_threads,
                                   cfg.io_threads});

  net::server_handlers handlers;
  handlers.http = [&rt, secret](net::http_request req, net::http_reply reply) {
    if (!rest::handle(*rt, secret, req, reply)) route(std::move(req), std::move(reply));
  };
  handlers.authenticate = token_authenticator(secret);
  handlers.open_websocket = [&rt](const std::string& user,
                                  std::shared_ptr<actors::client_connection> conn) {
    return rt->open_session(user, std::move(conn));
  };
  net::server srv(net_opts, handlers);
  std::uint16_t port = 0;
  try {
    port = srv.start();
  } catch (const std::runtime_error& e) {
    log("error", "listen_failed", {{"error", e.what()}});
    return 1;
  }
  auto addr = net_opts.host + ":" + std::to_string(port);
  log("info", "listening",
      {{"addr", addr}, {"data_dir", cfg.data_dir}, {"durability", cfg.durability},
       {"node_id", cfg.node_id}});

  int sig = 0;
  sigwait(&stop_signals, &sig);
  log("info", "stopping", {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}});
  srv.stop();
  rt.reset();
  store.reset();
  log("info", "stopped");
  return 0;
}

}  // namespace switchboard::app
