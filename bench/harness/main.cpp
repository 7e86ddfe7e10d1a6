// switchboard-bench: load a Switchboard node as clients do, check what it
// answers, and report rates and latencies. See docs/benchmarks.md.
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "bench/harness/cluster_spawn.hpp"
#include "bench/harness/connections.hpp"
#include "bench/harness/messaging.hpp"
#include "bench/harness/options.hpp"
#include "bench/harness/plot.hpp"
#include "bench/harness/spawn.hpp"

using namespace switchboard::bench;

namespace {

constexpr const char* usage = R"(usage: switchboard-bench SCENARIO [options]

scenarios:
  direct    users in pairs; each sends to its peer, the peer acks
  group     groups of --group-size members, all online, all sending
  channel   one conversation of --members members, --online of them
            connected, the first --senders of those sending (one harness
            thread); compare with a group of the same online size by
            --members equal to --online and --node-arg --fanout-threshold
            --node-arg N above it (bench/channel_bench.py does both)
  connect   a connection storm: handshakes per second
  idle      N idle authenticated connections; the node's RSS per connection

options:
  --spawn               start a node of our own on a temporary data directory
  --spawn-cluster N     start etcd and N nodes of our own, spread the shards
                        over them (rebalance), and load them all as --nodes
  --switchboard PATH    the node binary for --spawn and --spawn-cluster
  --host HOST --port N  the node to load (default 127.0.0.1:7070)
  --nodes H:P,H:P,...   or: the nodes to load, connections spread over them;
                        the two users of a direct pair on different nodes
  --jwt-secret S        the node's token secret (default: SWITCHBOARD_JWT_SECRET)
  --token-command CMD   or: a command that prints a user's token, run once per
                        user with the user id as its last argument (or in
                        place of {user}), e.g. 'switchboard token --data-dir D'
  --duration S          seconds of load (default 10)
  --connections N       connections (default 100)
  --rate R              open loop: R messages/s in total, latency from the
                        scheduled send time; 0 (default): closed loop
  --window W            closed loop: messages in flight per sender (default 8)
  --group-size N        members per group (default 10)
  --size B              message body bytes (default 64)
  --members N           channel: members (default 10000)
  --online N            channel: members connected (default 1000)
  --senders N           channel: members sending (default 20)
  --node-arg ARG        one more argument for the nodes --spawn and
                        --spawn-cluster start (repeat it: one per word)
  --threads T           harness I/O threads (default 1)
  --node-pid PID        a node whose RSS (idle) and CPU time (direct, group)
                        to report; repeat for several, summed (--spawn and
                        --spawn-cluster set them)
  --json FILE           also write the results as JSON
  --plot FILE.svg       also draw them: each latency histogram by percentile
                        and messages per second over the run
  --quiet               no progress line
The run fails (exit 1) on any correctness violation.
)";

void raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help") {
    std::cout << usage;
    return argc < 2 ? 2 : 0;
  }
  options o;
  o.scenario = argv[1];
  o.switchboard = SWITCHBOARD_BIN_DEFAULT;
  if (auto* s = std::getenv("SWITCHBOARD_JWT_SECRET")) o.jwt_secret = s;
  try {
    for (int i = 2; i < argc; ++i) {
      std::string k = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw std::invalid_argument(k + " needs a value");
        return argv[++i];
      };
      if (k == "--spawn")
        o.spawn = true;
      else if (k == "--spawn-cluster")
        o.spawn_cluster = std::stoi(value());
      else if (k == "--nodes")
        o.nodes = parse_nodes(value());
      else if (k == "--quiet")
        o.progress = false;
      else if (k == "--switchboard")
        o.switchboard = value();
      else if (k == "--host")
        o.host = value();
      else if (k == "--port")
        o.port = static_cast<std::uint16_t>(std::stoi(value()));
      else if (k == "--jwt-secret")
        o.jwt_secret = value();
      else if (k == "--token-command")
        o.token_command = value();
      else if (k == "--duration")
        o.duration_s = std::stod(value());
      else if (k == "--connections")
        o.connections = std::stoi(value());
      else if (k == "--rate")
        o.rate = std::stod(value());
      else if (k == "--window")
        o.window = std::stoi(value());
      else if (k == "--group-size")
        o.group_size = std::stoi(value());
      else if (k == "--size")
        o.body_size = std::stoi(value());
      else if (k == "--members")
        o.members = std::stoi(value());
      else if (k == "--online")
        o.online = std::stoi(value());
      else if (k == "--senders")
        o.senders = std::stoi(value());
      else if (k == "--node-arg")
        o.node_args.push_back(value());
      else if (k == "--threads")
        o.threads = std::stoi(value());
      else if (k == "--node-pid")
        o.node_pids.push_back(std::stoi(value()));
      else if (k == "--json")
        o.json_file = value();
      else if (k == "--plot")
        o.plot_file = value();
      else
        throw std::invalid_argument("unknown option " + k);
    }
    if (o.scenario != "direct" && o.scenario != "group" &&
        o.scenario != "channel" && o.scenario != "connect" &&
        o.scenario != "idle")
      throw std::invalid_argument("unknown scenario " + o.scenario);
    if (o.scenario == "channel") {
      if (o.online < 2 || o.members < o.online || o.senders < 1 ||
          o.senders > o.online)
        throw std::invalid_argument(
            "channel: want 2 <= --online <= --members and 1 <= --senders <= "
            "--online");
      if (o.threads != 1)
        throw std::invalid_argument(
            "channel: one conversation, one harness thread (no --threads)");
      o.connections = o.online;
    }
    if (!o.node_args.empty() && !o.spawn && o.spawn_cluster == 0)
      throw std::invalid_argument(
          "--node-arg is for the nodes --spawn or --spawn-cluster start");
    bool spawning = o.spawn || o.spawn_cluster > 0;
    if (o.spawn && o.spawn_cluster > 0)
      throw std::invalid_argument("--spawn or --spawn-cluster, not both");
    if (spawning && !o.nodes.empty())
      throw std::invalid_argument(
          "--nodes names nodes of your own: not with --spawn/--spawn-cluster");
    if (spawning && !o.token_command.empty())
      throw std::invalid_argument(
          "--spawn signs tokens with the secret it gives its node: "
          "--token-command is for a node of your own");
    if (o.connections < 1 || o.duration_s <= 0 || o.window < 1 ||
        o.group_size < 2 || o.threads < 1 || o.rate < 0 || o.spawn_cluster < 0)
      throw std::invalid_argument("a count, duration or rate is out of range");
  } catch (const std::exception& e) {
    std::cerr << "switchboard-bench: " << e.what() << "\n" << usage;
    return 2;
  }
  raise_fd_limit();
  // What we start is stopped when main returns, and on SIGINT or SIGTERM.
  if (o.spawn || o.spawn_cluster > 0) stop_children_on_signal();
  std::unique_ptr<spawned_node> node;
  std::unique_ptr<spawned_cluster> cluster;
  try {
    if (o.spawn || o.spawn_cluster > 0) {
      if (o.jwt_secret.empty())
        o.jwt_secret = "switchboard-bench-secret-0123456789abcdef";
      bool no_pids = o.node_pids.empty();
      if (o.spawn) {
        node = std::make_unique<spawned_node>(o.switchboard, o.jwt_secret,
                                              o.node_args);
        o.nodes = {{"127.0.0.1", node->port()}};
        if (no_pids) o.node_pids = {node->pid()};
      } else {
        cluster = std::make_unique<spawned_cluster>(o.switchboard, o.jwt_secret,
                                                    o.spawn_cluster, o.progress,
                                                    o.node_args);
        o.nodes = cluster->endpoints();
        if (no_pids) o.node_pids = cluster->pids();
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "switchboard-bench: " << e.what() << "\n";
    return 2;
  }
  if (o.nodes.empty()) o.nodes = {{o.host, o.port}};
  if (o.jwt_secret.empty() && o.token_command.empty()) {
    std::cerr << "switchboard-bench: give --jwt-secret, "
                 "SWITCHBOARD_JWT_SECRET or --token-command (or --spawn)\n";
    return 2;
  }
  results r;
  try {
    if (o.scenario == "connect")
      r = run_connect(o);
    else if (o.scenario == "idle")
      r = run_idle(o);
    else
      r = run_messaging(o);
  } catch (const std::exception& e) {
    std::cerr << "switchboard-bench: " << e.what() << "\n";
    return 2;
  }
  r.nodes = static_cast<int>(o.nodes.size());
  report(r, o.json_file);
  if (!o.plot_file.empty()) {
    std::ofstream out(o.plot_file);
    out << plot_svg(r);
    if (!out) {
      std::cerr << "cannot write " << o.plot_file << "\n";
      return 1;
    }
  }
  return r.violations == 0 ? 0 : 1;
}
