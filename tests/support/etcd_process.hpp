#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "tests/support/temp_dir.hpp"

namespace switchboard::testing {

// A real etcd (Debian's etcd-server, /usr/bin/etcd) of one member, on free
// loopback ports with a data directory of its own, started by the test
// itself: the constructor returns once `/health` answers true, or fails the
// test after a deadline. Killed when destroyed (and, through
// PR_SET_PDEATHSIG, when the test process dies). Its log is in
// `data_dir()/etcd.log`, quoted when it fails to start. Not thread-safe.
class etcd_process {
 public:
  etcd_process();
  ~etcd_process();
  etcd_process(const etcd_process&) = delete;
  etcd_process& operator=(const etcd_process&) = delete;

  std::uint16_t client_port() const noexcept { return client_port_; }
  // "http://127.0.0.1:PORT": the value of `--etcd`.
  std::string url() const;
  const std::string& data_dir() const noexcept { return dir_.str_ref(); }
  bool running() const noexcept { return pid_ > 0; }

  // SIGKILL, then waits for it to be gone.
  void kill();

 private:
  // One attempt on fresh ports; false when etcd exited (a port taken).
  bool try_start(std::string& why);

  temp_dir dir_;
  pid_t pid_ = -1;
  std::uint16_t client_port_ = 0;
  std::uint16_t peer_port_ = 0;
};

// A loopback port nobody listens on now. The kernel may hand it out again,
// so use it at once.
std::uint16_t free_loopback_port();

}  // namespace switchboard::testing
