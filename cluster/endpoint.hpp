#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/result.hpp"

namespace switchboard::cluster {

// One etcd client URL: plain HTTP (the gateway on etcd's client port; no
// TLS in this client).
struct endpoint {
  std::string host;  // a name or an IP address, without IPv6 brackets
  std::uint16_t port = 2379;

  // "http://host:port", with brackets around an IPv6 address.
  std::string url() const;
};

// The endpoints of `--etcd URL[,URL...]`. Each is `http://HOST[:PORT][/]`
// or `HOST[:PORT]` (port 2379 when left out; IPv6 as `[::1]:2379`).
// errc::invalid_argument naming the bad entry for an empty list, an
// https:// URL, a path, an empty host or a port outside 1..65535.
result<std::vector<endpoint>> parse_endpoints(std::string_view list);

}  // namespace switchboard::cluster
