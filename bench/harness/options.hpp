#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace switchboard::bench {

// A node the harness connects to.
struct endpoint {
  std::string host{};
  std::uint16_t port{};
};

struct options {
  std::string scenario;  // direct, group, channel, connect, idle
  std::string host = "127.0.0.1";
  std::uint16_t port = 7070;
  // The nodes to load (--nodes, or --host/--port alone, or what --spawn and
  // --spawn-cluster started); main() fills it before any scenario runs.
  std::vector<endpoint> nodes{};
  std::string jwt_secret;     // tokens are signed with it
  std::string token_command;  // or printed by it (see make_token)
  double duration_s = 10;
  int connections = 100;
  int threads = 1;  // harness I/O threads
  double rate = 0;  // messages/s offered in total; 0: closed loop
  int window = 8;   // closed loop: messages in flight per sender
  int group_size = 10;
  // channel: one conversation of `members` members, `online` of them
  // connected, the first `senders` of those sending.
  int members = 10000;
  int online = 1000;
  int senders = 20;
  // Arguments for the nodes the harness starts (--node-arg, repeated).
  std::vector<std::string> node_args{};
  int body_size = 64;
  std::vector<int> node_pids{};  // idle: whose RSS to read (summed)
  bool spawn = false;            // start a node of our own
  int spawn_cluster = 0;         // or etcd and this many nodes
  std::string switchboard;       // the node binary for --spawn
  std::string json_file;         // --json
  std::string plot_file;         // --plot
  bool progress = true;
};

// "HOST:PORT,HOST:PORT,...": throws std::invalid_argument on a bad entry.
std::vector<endpoint> parse_nodes(const std::string& list);

// The node the connection of user `g` (numbered from 0 across the whole
// run) goes to. Direct pairs are split: the first user of pair p on node
// p mod N, its partner on node p+1 mod N, so every conversation crosses
// nodes when there are two or more. Otherwise (group members, connect and
// idle slots) user g goes to node g mod N.
const endpoint& node_of(const options& o, int g);

}  // namespace switchboard::bench
