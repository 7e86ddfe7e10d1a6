#include "push/public_address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <catch2/catch.hpp>
#include <string>

using switchboard::push::is_public_address;

namespace {

bool is_public(const std::string& text) {
  if (text.find(':') == std::string::npos) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    REQUIRE(inet_pton(AF_INET, text.c_str(), &a.sin_addr) == 1);
    return is_public_address(reinterpret_cast<const sockaddr*>(&a));
  }
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  REQUIRE(inet_pton(AF_INET6, text.c_str(), &a.sin6_addr) == 1);
  return is_public_address(reinterpret_cast<const sockaddr*>(&a));
}

}  // namespace

TEST_CASE(
    "only addresses on the public internet are public: not loopback, "
    "private, link-local, shared, multicast or reserved ones",
    "[push][webpush]") {
  for (const char* a :
       {"8.8.8.8", "142.250.74.110", "1.1.1.1", "100.63.255.255", "100.128.0.0",
        "172.15.255.255", "172.32.0.0", "192.167.255.255", "223.255.255.255",
        "2a00:1450:4001:82b::200a", "2001:4860::8888", "::ffff:8.8.8.8",
        "64:ff9b::808:808", "2002:808:808::1"}) {
    INFO(a);
    CHECK(is_public(a));
  }
  for (const char* a : {"0.0.0.0",
                        "0.1.2.3",
                        "10.0.0.1",
                        "10.255.255.255",
                        "100.64.0.1",
                        "127.0.0.1",
                        "127.255.255.254",
                        "169.254.169.254",
                        "172.16.0.1",
                        "172.31.255.255",
                        "192.0.0.8",
                        "192.0.2.1",
                        "192.168.1.1",
                        "198.18.0.1",
                        "198.19.255.255",
                        "198.51.100.7",
                        "203.0.113.9",
                        "224.0.0.1",
                        "239.255.255.250",
                        "240.0.0.1",
                        "255.255.255.255",
                        "::",
                        "::1",
                        "::127.0.0.1",
                        "::ffff:127.0.0.1",
                        "::ffff:10.1.2.3",
                        "::ffff:169.254.169.254",
                        "64:ff9b::a00:1",
                        "64:ff9b:1::808:808",
                        "2002:7f00:1::1",
                        "2001::1",
                        "2001:db8::1",
                        "fc00::1",
                        "fd12::1",
                        "fe80::1",
                        "febf::1",
                        "fec0::1",
                        "ff02::1",
                        "100::1",
                        "4000::1"}) {
    INFO(a);
    CHECK_FALSE(is_public(a));
  }
  sockaddr unix_family{};
  unix_family.sa_family = AF_UNIX;
  CHECK_FALSE(is_public_address(&unix_family));
  CHECK_FALSE(is_public_address(nullptr));
}
