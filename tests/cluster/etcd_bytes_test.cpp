#include "cluster/etcd_bytes.hpp"

#include <catch2/catch.hpp>
#include <string>

using namespace switchboard::cluster;

TEST_CASE("base64 encodes the RFC 4648 test vectors", "[etcd_bytes]") {
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foo") == "Zm9v");
  CHECK(base64_encode("foob") == "Zm9vYg==");
  CHECK(base64_encode("fooba") == "Zm9vYmE=");
  CHECK(base64_encode("foobar") == "Zm9vYmFy");
}

TEST_CASE("every byte string decodes back from its base64", "[etcd_bytes]") {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (std::size_t n = 0; n <= all.size(); n += 37) {
    auto s = all.substr(0, n);
    auto back = base64_decode(base64_encode(s));
    REQUIRE(back);
    CHECK(*back == s);
  }
  CHECK(base64_encode(std::string("\xff\xfe", 2)) == "//4=");
}

TEST_CASE("text that is not canonical padded base64 does not decode",
          "[etcd_bytes]") {
  CHECK_FALSE(base64_decode("Zm9"));       // length not a multiple of 4
  CHECK_FALSE(base64_decode("Zm9v!A=="));  // outside the alphabet
  CHECK_FALSE(base64_decode("Zg=a"));      // padding in the middle
  CHECK_FALSE(base64_decode("Z==="));      // too much padding
  CHECK_FALSE(base64_decode("Zh=="));      // bits left after the last byte
  CHECK_FALSE(base64_decode("Zm9=Zm9v"));  // padding before the end
  CHECK_FALSE(base64_decode("Zm9v\n"));
  CHECK(base64_decode("")->empty());
}

TEST_CASE("a prefix's range end is the prefix with its last byte plus one",
          "[etcd_bytes]") {
  CHECK(prefix_end("sb/nodes/") == "sb/nodes0");
  CHECK(prefix_end("a") == "b");
  CHECK(prefix_end(std::string("a\xff\xff", 3)) == "b");
  CHECK(prefix_end(std::string("\xff", 1)) == std::string(1, '\0'));
  CHECK(prefix_end("") == std::string(1, '\0'));
}
