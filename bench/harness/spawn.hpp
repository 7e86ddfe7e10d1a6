#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace switchboard::bench {

// The harness's child processes (--spawn, --spawn-cluster): each dies with
// the harness (PR_SET_PDEATHSIG) and is registered, with its temporary
// directory, so that SIGINT or SIGTERM to the harness stops them and removes
// the directories (stop_children_on_signal).

// A new directory under the system's temp directory, "switchboard-bench-
// STEM-XXXXXX".
std::string make_temp_dir(const std::string& stem);

// Forks and execs argv (argv[0] a path, or looked up in PATH), its stdout
// and stderr on `out_fd` (closed in the child when -1), the signal mask
// cleared. Throws std::runtime_error when fork fails.
pid_t start_child(const std::vector<std::string>& argv, int out_fd);

// SIGTERM, up to `grace_ms` for it to exit, then SIGKILL; warns when it had
// to kill it, or when a signal other than SIGTERM ended it (a crash);
// reaps it.
void stop_child(pid_t pid, int grace_ms);

// Runs argv to completion; returns its exit status (-1 when killed by a
// signal) and puts what it printed on stdout and stderr in `output`.
int run_child(const std::vector<std::string>& argv, std::string& output);

// Blocks SIGINT and SIGTERM in the calling thread (call it first in main,
// before any thread starts) and starts a thread that, on either, stops every
// registered child (last-started first; those registered `last` after the
// others), removes their directories, and exits with status 130.
void stop_children_on_signal();
// `pid` -1: not started yet (set_child_pid once it is); its directory is
// still removed on a signal.
void register_child(pid_t pid, const std::string& dir, bool last = false);
void set_child_pid(const std::string& dir, pid_t pid);
void unregister_child(pid_t pid);
void unregister_dir(const std::string& dir);

// A node started by the harness on a temporary data directory and free
// loopback ports, with limits raised so that the load is not rate limited;
// `extra` arguments come after the harness's own (--etcd ... for a cluster).
// The constructor returns once the node logs that it listens (in a cluster:
// once it has joined). Stopped with SIGTERM (SIGKILL after 30 s), and its
// directory removed, on destruction.
class spawned_node {
 public:
  spawned_node(const std::string& binary, const std::string& secret,
               const std::vector<std::string>& extra = {});
  ~spawned_node();
  spawned_node(const spawned_node&) = delete;
  spawned_node& operator=(const spawned_node&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  std::uint16_t admin_port() const noexcept { return admin_port_; }
  pid_t pid() const noexcept { return pid_; }
  const std::string& data_dir() const noexcept { return dir_; }
  // The admin API's token (the node writes it into its data directory).
  std::string admin_token() const;

  // SIGTERM without waiting: stops several nodes at once; the destructor
  // then waits.
  void terminate();

 private:
  std::string dir_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::uint16_t admin_port_ = 0;
};

}  // namespace switchboard::bench
