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
  // "host:port" as in url(): what a request's Host header says.
  std::string host_port() const;
};

// The endpoints of `--etcd URL[,URL...]`. Each is `http://HOST[:PORT][/]`
// or `HOST[:PORT]` (port 2379 when left out; IPv6 as `[::1]:2379`).
// errc::invalid_argument naming the bad entry for an empty list, an
// entry that is no URL, an https:// or other non-http URL, user info, a
// path, a query or fragment, an empty host or a port outside 1..65535.
result<std::vector<endpoint>> parse_endpoints(std::string_view list);

}  // namespace switchboard::cluster
