#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace switchboard::bench {

// A one-member etcd (Debian's etcd-server, `etcd` in PATH) on free loopback
// ports with a temporary data directory (its log in `data_dir()/etcd.log`,
// quoted when it fails to start); the constructor returns once /health
// answers true, and throws std::runtime_error after five attempts or a
// deadline. It dies with this process (PR_SET_PDEATHSIG), and is stopped,
// its directory removed, on destruction. The harness's --spawn-cluster and
// the tests' etcd (tests/support/etcd_process.hpp) are this. Not
// thread-safe.
class spawned_etcd {
 public:
  spawned_etcd();
  ~spawned_etcd();
  spawned_etcd(const spawned_etcd&) = delete;
  spawned_etcd& operator=(const spawned_etcd&) = delete;

  // "http://127.0.0.1:PORT": the nodes' --etcd.
  std::string url() const;
  std::uint16_t client_port() const noexcept { return client_port_; }
  const std::string& data_dir() const noexcept { return dir_; }
  bool running() const noexcept { return pid_ > 0; }

  // SIGKILL (a crash, for tests), then waits for it to be gone.
  void kill();
  // Starts it again (after kill()) on the same ports and data: etcd
  // restarted, its keys and leases kept. Throws std::runtime_error when it
  // does not become healthy.
  void restart();

 private:
  // One attempt on fresh ports; false (and `why`) when etcd exited.
  bool try_start(std::string& why);
  // One attempt on the ports set; `fresh`: the data directory is new (and
  // removed again when etcd exits at start).
  bool start_on_ports(std::string& why, bool fresh);
  void stop();

  std::string dir_;
  pid_t pid_ = -1;
  std::uint16_t client_port_ = 0;
  std::uint16_t peer_port_ = 0;
};

// A loopback port nobody listens on now. The kernel may hand it out again,
// so use it at once. Throws std::runtime_error when there is none.
std::uint16_t free_loopback_port();

}  // namespace switchboard::bench
