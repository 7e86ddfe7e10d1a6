#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace switchboard::bench {

// A node started by the harness (--spawn) on a temporary data directory and
// a free loopback port, with limits raised so that the load is not rate
// limited. Stopped with SIGTERM, and its directory removed, on destruction.
class spawned_node {
 public:
  spawned_node(const std::string& binary, const std::string& secret);
  ~spawned_node();
  spawned_node(const spawned_node&) = delete;
  spawned_node& operator=(const spawned_node&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  pid_t pid() const noexcept { return pid_; }

 private:
  std::string dir_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace switchboard::bench
