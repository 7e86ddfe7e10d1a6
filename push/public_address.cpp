#include "push/public_address.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstring>

namespace switchboard::push {

namespace {

// `addr` in `net`/`bits` (host byte order).
bool in(std::uint32_t addr, std::uint32_t net, int bits) {
  std::uint32_t mask = bits == 0 ? 0 : ~std::uint32_t{0} << (32 - bits);
  return (addr & mask) == (net & mask);
}

bool public_v4(std::uint32_t a) {
  struct range {
    std::uint32_t net;
    int bits;
  };
  // IANA's IPv4 special-purpose registry, and multicast and class E.
  static constexpr range refused[] = {
      {0x00000000, 8},   // 0.0.0.0/8: this network
      {0x0A000000, 8},   // 10.0.0.0/8: private
      {0x64400000, 10},  // 100.64.0.0/10: carrier-grade NAT
      {0x7F000000, 8},   // 127.0.0.0/8: loopback
      {0xA9FE0000, 16},  // 169.254.0.0/16: link-local (cloud metadata)
      {0xAC100000, 12},  // 172.16.0.0/12: private
      {0xC0000000, 24},  // 192.0.0.0/24: protocol assignments
      {0xC0000200, 24},  // 192.0.2.0/24: documentation
      {0xC0586300, 24},  // 192.88.99.0/24: 6to4 relay anycast
      {0xC0A80000, 16},  // 192.168.0.0/16: private
      {0xC6120000, 15},  // 198.18.0.0/15: benchmarking
      {0xC6336400, 24},  // 198.51.100.0/24: documentation
      {0xCB007100, 24},  // 203.0.113.0/24: documentation
      {0xE0000000, 4},   // 224.0.0.0/4: multicast
      {0xF0000000, 4},   // 240.0.0.0/4: reserved, and broadcast
  };
  for (auto& r : refused)
    if (in(a, r.net, r.bits)) return false;
  return true;
}

std::uint32_t v4_at(const unsigned char* b) {
  return std::uint32_t{b[0]} << 24 | std::uint32_t{b[1]} << 16 |
         std::uint32_t{b[2]} << 8 | std::uint32_t{b[3]};
}

bool public_v6(const unsigned char* b) {
  static constexpr unsigned char zeros[16] = {};
  // ::/96 (the unspecified address, loopback, IPv4-compatible): none is
  // a public destination.
  if (std::memcmp(b, zeros, 12) == 0) return false;
  // ::ffff:0:0/96, IPv4-mapped: as the IPv4 address.
  static constexpr unsigned char mapped[12] = {0, 0, 0, 0, 0,    0,
                                               0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(b, mapped, 12) == 0) return public_v4(v4_at(b + 12));
  // 64:ff9b::/96 (NAT64) and 64:ff9b:1::/48 (local NAT64): as the IPv4
  // address they translate to, or refused.
  static constexpr unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0,
                                              0, 0,    0,    0,    0, 0};
  if (std::memcmp(b, nat64, 12) == 0) return public_v4(v4_at(b + 12));
  if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b &&
      b[4] == 0x00 && b[5] == 0x01)
    return false;
  // 2002::/16 (6to4): as the IPv4 address it carries.
  if (b[0] == 0x20 && b[1] == 0x02) return public_v4(v4_at(b + 2));
  // 2001::/32 (Teredo) and 2001:db8::/32 (documentation).
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x00 && b[3] == 0x00)
    return false;
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8)
    return false;
  if ((b[0] & 0xfe) == 0xfc) return false;                  // fc00::/7
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return false;  // fe80::/10
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return false;  // fec0::/10
  if (b[0] == 0xff) return false;                           // multicast
  // Global unicast is 2000::/3; the rest is unassigned.
  return (b[0] & 0xe0) == 0x20;
}

}  // namespace

bool is_public_address(const sockaddr* a) {
  if (!a) return false;
  if (a->sa_family == AF_INET) {
    sockaddr_in v4;
    std::memcpy(&v4, a, sizeof v4);
    return public_v4(ntohl(v4.sin_addr.s_addr));
  }
  if (a->sa_family == AF_INET6) {
    sockaddr_in6 v6;
    std::memcpy(&v6, a, sizeof v6);
    return public_v6(v6.sin6_addr.s6_addr);
  }
  return false;
}

}  // namespace switchboard::push
