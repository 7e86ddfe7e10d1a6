#pragma once

// Cutting a TCP port off on loopback with iptables, for tests of network
// partitions (they run as root; without iptables they skip, saying why).

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <string>
#include <vector>

namespace switchboard::testing {

// Runs `command` in a shell; its exit status and what it printed.
inline std::pair<int, std::string> shell_output(const std::string& command) {
  std::string out;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) return {-1, "popen failed"};
  char buf[512];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  int status = ::pclose(p);
  return {status, out};
}

// Drops every packet to and from a TCP port on loopback while it lives.
struct port_cut {
  std::string port;
  bool on = false;
  std::vector<std::string> rules() const {
    return {"INPUT -i lo -p tcp --dport " + port + " -j DROP",
            "INPUT -i lo -p tcp --sport " + port + " -j DROP"};
  }
  void cut() {
    for (auto& r : rules()) {
      auto [status, out] = shell_output("iptables -I " + r);
      INFO(out);
      REQUIRE(status == 0);
    }
    on = true;
  }
  void restore() {
    if (!on) return;
    for (auto& r : rules()) {
      auto [status, out] = shell_output("iptables -D " + r);
      if (status != 0) WARN("iptables -D " << r << " failed: " << out);
    }
    on = false;
  }
  ~port_cut() { restore(); }
};

// Why iptables cannot be used here, or "".
inline std::string no_iptables() {
  if (::geteuid() != 0) return "the tests do not run as root";
  auto [status, out] = shell_output("iptables -L INPUT -n >/dev/null");
  if (status != 0) return "iptables is missing or not permitted: " + out;
  return "";
}

}  // namespace switchboard::testing
