#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tests/support/temp_dir.hpp"

namespace switchboard::testing {

// A real `switchboard serve` process on a free loopback port, with its own
// data directory and a known token secret. Stopped with SIGTERM (SIGKILL
// after a deadline) when destroyed.
class node_process {
 public:
  // `env`: extra "NAME=value" variables of the node's environment.
  explicit node_process(std::vector<std::string> extra_args = {},
                        std::vector<std::string> env = {});
  ~node_process();
  node_process(const node_process&) = delete;
  node_process& operator=(const node_process&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  std::uint16_t admin_port() const noexcept { return admin_port_; }
  const std::string& data_dir() const noexcept { return dir_.str_ref(); }
  pid_t pid() const noexcept { return pid_; }

  // A valid token for `user`.
  std::string token(const std::string& user, long ttl_s = 3600) const;
  static constexpr const char* secret =
      "switchboard-test-secret-0123456789abcdef";

  // Stops the node (SIGTERM) and returns its exit status.
  int stop();
  // SIGKILL, no clean shutdown.
  void kill();
  // Starts it again on the same data directory (a new port).
  void start();

  // Everything the node wrote on stderr (its log, one JSON object a line)
  // since it was first started, restarts included.
  std::string log() const;
  // The first complete log line that contains every one of `parts`,
  // waiting up to `timeout` for it to be written; empty when none came.
  std::string wait_log(const std::vector<std::string>& parts,
                       std::chrono::milliseconds timeout) const;
  // Its pid, port and node id, for a failed test's output.
  std::string describe() const;

 private:
  temp_dir dir_;
  std::vector<std::string> args_;
  std::vector<std::string> env_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::uint16_t admin_port_ = 0;
  // Filled by the thread that drains the node's stderr, which may outlive
  // this object (it ends when the node's pipe closes).
  struct log_buffer {
    std::mutex m{};
    std::condition_variable cv{};
    std::string text{};
  };
  std::shared_ptr<log_buffer> log_ = std::make_shared<log_buffer>();
};

// Runs the switchboard binary with `args` (and extra `env`) to completion;
// returns its exit status and what it printed on stdout and stderr.
struct command_result {
  int status = -1;
  std::string output;
};
command_result run_switchboard(const std::vector<std::string>& args,
                               const std::vector<std::string>& env = {});

// Runs `argv` (argv[0] looked up in PATH) with extra `env` to completion;
// fails the test when it prints nothing for `quiet_limit_s` seconds.
command_result run_command(const std::vector<std::string>& argv,
                           const std::vector<std::string>& env = {},
                           int quiet_limit_s = 30);

}  // namespace switchboard::testing
