#pragma once

struct sockaddr;

namespace switchboard::push {

// Whether `a` (an AF_INET or AF_INET6 address) is one on the public
// internet: false for loopback, private (RFC 1918, unique local),
// link-local, carrier-grade NAT, multicast, unspecified, documentation and
// other reserved ranges (the IANA special-purpose registries), and for an
// IPv6 address that embeds a refused IPv4 one (mapped, compatible, NAT64).
// Web Push connects only to public addresses: its endpoints come from
// clients, and must not reach into the node's own network (docs/push.md).
bool is_public_address(const sockaddr* a);

}  // namespace switchboard::push
