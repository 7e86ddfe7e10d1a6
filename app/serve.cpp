#include "app/serve.hpp"

#include <csignal>
#include <iostream>
#include <pthread.h>
#include <stdexcept>
#include <string>

#include "app/args.hpp"
#include "app/log.hpp"
#include "net/server.hpp"
#include "storage/store.hpp"

namespace switchboard::app {

namespace {

constexpr const char* serve_usage =
    "usage: switchboard serve [--listen HOST:PORT] [--data-dir DIR]\n"
    "                         [--durability sync|async]\n"
    "  --listen      address of the client port (default 127.0.0.1:7070)\n"
    "  --data-dir    where the node keeps its data (default ./data)\n"
    "  --durability  sync: fsync the WAL before acknowledging (default);\n"
    "                async: survive a process crash, not a power loss\n";

void split_host_port(const std::string& s, net::server_options& o) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos)
    throw std::invalid_argument("--listen must be HOST:PORT, got '" + s + "'");
  o.host = s.substr(0, colon);
  if (o.host.size() > 1 && o.host.front() == '[' && o.host.back() == ']')
    o.host = o.host.substr(1, o.host.size() - 2);
  auto port = s.substr(colon + 1);
  std::size_t used = 0;
  unsigned long p = 0;
  try {
    p = std::stoul(port, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != port.size() || port.empty() || p > 65535)
    throw std::invalid_argument("--listen: bad port '" + port + "'");
  o.port = static_cast<std::uint16_t>(p);
}

void route(net::http_request req, net::http_reply reply) {
  auto path = req.target.substr(0, req.target.find('?'));
  net::http_response res;
  if (path == "/healthz") {
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
  args a;
  net::server_options net_opts;
  storage::store_options store_opts;
  try {
    a = parse_args(argc, argv, 2, {"listen", "data-dir", "durability"},
                   {"help"});
    if (a.has("help")) {
      std::cout << serve_usage;
      return 0;
    }
    if (!a.positional.empty())
      throw std::invalid_argument("unexpected argument '" + a.positional[0] + "'");
    split_host_port(a.get("listen").value_or("127.0.0.1:7070"), net_opts);
    store_opts.path = a.get("data-dir").value_or("./data");
    auto d = a.get("durability").value_or("sync");
    if (d == "sync")
      store_opts.durability = storage::durability::sync;
    else if (d == "async")
      store_opts.durability = storage::durability::async;
    else
      throw std::invalid_argument("--durability must be sync or async, got '" + d + "'");
  } catch (const std::invalid_argument& e) {
    std::cerr << "switchboard serve: " << e.what() << "\n" << serve_usage;
    return 2;
  }

  // Signals are taken by sigwait below, never by another thread.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto opened = storage::store::open(store_opts);
  if (!opened) {
    log("error", "store_open_failed",
        {{"data_dir", store_opts.path}, {"error", opened.err().message}});
    return 1;
  }
  auto store = std::move(*opened);

  net::server srv(net_opts, route);
  std::uint16_t port = 0;
  try {
    port = srv.start();
  } catch (const std::runtime_error& e) {
    log("error", "listen_failed", {{"error", e.what()}});
    return 1;
  }
  auto addr = net_opts.host + ":" + std::to_string(port);
  log("info", "listening", {{"addr", addr}, {"data_dir", store_opts.path}});

  int sig = 0;
  sigwait(&stop_signals, &sig);
  log("info", "stopping", {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}});
  srv.stop();
  store.reset();
  log("info", "stopped");
  return 0;
}

}  // namespace switchboard::app
