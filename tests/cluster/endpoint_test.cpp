#include "cluster/endpoint.hpp"

#include <catch2/catch.hpp>

using namespace switchboard::cluster;

TEST_CASE("an --etcd list gives its endpoints in order", "[endpoint]") {
  auto eps = parse_endpoints("http://127.0.0.1:2379, 10.0.0.2:12379,etcd3/");
  REQUIRE(eps);
  REQUIRE(eps->size() == 3);
  CHECK((*eps)[0].host == "127.0.0.1");
  CHECK((*eps)[0].port == 2379);
  CHECK((*eps)[1].host == "10.0.0.2");
  CHECK((*eps)[1].port == 12379);
  CHECK((*eps)[2].host == "etcd3");
  CHECK((*eps)[2].port == 2379);
  CHECK((*eps)[0].url() == "http://127.0.0.1:2379");
}

TEST_CASE("an IPv6 endpoint is written in brackets", "[endpoint]") {
  auto eps = parse_endpoints("http://[::1]:2380");
  REQUIRE(eps);
  CHECK((*eps)[0].host == "::1");
  CHECK((*eps)[0].port == 2380);
  CHECK((*eps)[0].url() == "http://[::1]:2380");
}

TEST_CASE("a malformed endpoint list is an invalid argument", "[endpoint]") {
  for (const char* bad : {"", ",", "http://a:1,", "https://a:2379",
                          "http://a:2379/v3", "http://:2379", "a:0", "a:65536",
                          "a:12x", "a:", "[::1", "[::1]x", "http://"}) {
    INFO(bad);
    auto eps = parse_endpoints(bad);
    REQUIRE_FALSE(eps);
    CHECK(eps.err().code == errc::invalid_argument);
  }
}

TEST_CASE("an endpoint's Host header is host:port as in its URL",
          "[endpoint]") {
  auto eps = parse_endpoints("http://[::1]:2380,10.0.0.2,v1.etcd:12379");
  REQUIRE(eps);
  REQUIRE(eps->size() == 3);
  CHECK((*eps)[0].host_port() == "[::1]:2380");
  CHECK((*eps)[1].host_port() == "10.0.0.2:2379");
  // A name that looks like an IPvFuture literal stays a name.
  CHECK((*eps)[2].host == "v1.etcd");
  CHECK((*eps)[2].url() == "http://v1.etcd:12379");
}

TEST_CASE("the scheme is read whatever its case", "[endpoint]") {
  auto eps = parse_endpoints("HTTP://etcd1:2379");
  REQUIRE(eps);
  CHECK((*eps)[0].host == "etcd1");
  CHECK((*eps)[0].port == 2379);
  auto tls = parse_endpoints("HTTPS://etcd1:2379");
  REQUIRE_FALSE(tls);
  CHECK(tls.err().message.find("TLS is not supported") != std::string::npos);
}

TEST_CASE("user info, a query, a fragment or another scheme is refused",
          "[endpoint]") {
  for (const char* bad :
       {"http://u:p@a:2379", "http://a:2379?x=1", "http://a:2379#f",
        "ftp://a:2379", "a:99999", "a b:2379", "http://[v1.x]:2379"}) {
    INFO(bad);
    auto eps = parse_endpoints(bad);
    REQUIRE_FALSE(eps);
    CHECK(eps.err().code == errc::invalid_argument);
    // The message names the entry as it was written.
    CHECK(eps.err().message.find(std::string("'") + bad + "'") !=
          std::string::npos);
  }
}
