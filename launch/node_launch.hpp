#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

// Starting and stopping `switchboard` processes: the one way the bench
// (`--spawn`, `--spawn-cluster`) and the tests start a node. Process
// control only; each caller adds its own arguments and bookkeeping.
namespace switchboard::launch {

// Forks and execs `argv` (argv[0] a path, or looked up in PATH) with
// `env` ("NAME=value") added to this process's environment, its stderr,
// and its stdout too unless `keep_stdout`, on `out_fd` (-1: both closed).
// The child dies with this process (PR_SET_PDEATHSIG) and starts with the
// signal mask cleared. Everything is prepared before the fork: after it,
// only async-signal-safe calls. Throws std::runtime_error when fork fails.
pid_t start_process(const std::vector<std::string>& argv,
                    const std::vector<std::string>& env, int out_fd,
                    bool keep_stdout = false);

// SIGTERM, up to `grace` for it to exit, then SIGKILL; reaps it. Its exit
// status; 128 + the signal's number when a signal ended it within the
// grace (as a shell says it: etcd, say, dies by the SIGTERM it re-raises);
// -1 when it had to be killed.
int stop_process(pid_t pid, std::chrono::milliseconds grace);

// A node whose log said where it listens.
struct started_node {
  pid_t pid = -1;
  std::uint16_t port = 0;        // the client port
  std::uint16_t admin_port = 0;  // 0: no admin listener
  int log_fd = -1;  // the read end of its stderr: the rest of its log
  std::string log;  // what it logged until then (its first start_log_cap
                    // bytes: a node that logs without end is not kept whole)
};

constexpr std::size_t start_log_cap = 1 << 20;

// Runs `argv` (a `switchboard serve` command line) as start_process does,
// its stderr on a pipe (and its stdout, unless `keep_stdout`), and reads its
// log lines until the `listening` event (in a cluster, logged once the node
// joined) names its ports. The caller owns `log_fd` and must keep reading it (a
// node blocks on a full pipe). Throws std::runtime_error, with the log so far,
// when the node exits first or `deadline` passes (the node is then killed and
// reaped).
started_node start_node(const std::vector<std::string>& argv,
                        const std::vector<std::string>& env,
                        std::chrono::milliseconds deadline,
                        bool keep_stdout = true);

}  // namespace switchboard::launch
