#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bench/harness/histogram.hpp"

namespace switchboard::bench {

// What a run measured and what it found wrong.
struct results {
  std::string scenario;
  double seconds = 0;  // of the load phase
  int connections = 0;
  int nodes = 1;                 // the connections were spread over
  std::uint64_t sent = 0;        // send frames written
  std::uint64_t acked = 0;       // `sent` answers
  std::uint64_t received = 0;    // `message` events
  std::uint64_t handshakes = 0;  // connect: welcomes
  histogram send_to_sent, send_to_received, send_to_delivered, handshake;
  std::map<std::string, std::uint64_t> errors;  // by code
  std::uint64_t violations = 0;
  std::vector<std::string> violation_samples;  // the first few
  double rss_kb_per_connection = -1;           // idle
  // direct, group: CPU seconds the nodes (--spawn, --spawn-cluster or
  // --node-pid) used over the run, set-up and drain included; -1: unknown.
  double node_cpu_s = -1;
  // direct, group: messages acked and received in each second of the run
  // (for --plot).
  struct second {
    std::uint64_t acked = 0, received = 0;
  };
  std::vector<second> per_second;

  void violation(const std::string& what) {
    ++violations;
    if (violation_samples.size() < 10) violation_samples.push_back(what);
  }
};

// The human table on stdout, and the JSON file when `json_file` is set.
void report(const results& r, const std::string& json_file);

}  // namespace switchboard::bench
