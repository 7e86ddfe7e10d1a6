#pragma once

#include <cstdint>
#include <string>

namespace switchboard::bench {

struct options {
  std::string scenario;  // direct, group, connect, idle
  std::string host = "127.0.0.1";
  std::uint16_t port = 7070;
  std::string jwt_secret;     // tokens are signed with it
  std::string token_command;  // or printed by it (see make_token)
  double duration_s = 10;
  int connections = 100;
  int threads = 1;  // harness I/O threads
  double rate = 0;  // messages/s offered in total; 0: closed loop
  int window = 8;   // closed loop: messages in flight per sender
  int group_size = 10;
  int body_size = 64;
  int node_pid = 0;         // idle: whose RSS to read
  bool spawn = false;       // start a node of our own
  std::string switchboard;  // the node binary for --spawn
  std::string json_file;    // --json
  bool progress = true;
};

}  // namespace switchboard::bench
