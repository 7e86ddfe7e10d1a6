#include "bench/harness/ws_framing.hpp"

#include <catch2/catch.hpp>
#include <string>

using namespace switchboard::bench;

namespace {

// A frame as a server writes it: FIN, unmasked.
std::string server_frame(ws_opcode op, const std::string& payload,
                         bool fin = true) {
  std::string out;
  out.push_back(static_cast<char>((fin ? 0x80 : 0) | static_cast<int>(op)));
  auto n = payload.size();
  if (n < 126) {
    out.push_back(static_cast<char>(n));
  } else if (n <= 0xffff) {
    out.push_back(126);
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xff));
  } else {
    out.push_back(127);
    for (int shift = 56; shift >= 0; shift -= 8)
      out.push_back(
          static_cast<char>((static_cast<std::uint64_t>(n) >> shift) & 0xff));
  }
  return out + payload;
}

}  // namespace

TEST_CASE("a client frame is masked with its key and carries its length",
          "[bench]") {
  for (std::size_t n : {0u, 5u, 125u, 126u, 65535u, 65536u}) {
    std::string payload(n, 'a');
    std::string out;
    append_client_frame(out, ws_opcode::text, payload, 0x01020304);
    auto* p = reinterpret_cast<const unsigned char*>(out.data());
    CHECK(p[0] == 0x81);
    CHECK((p[1] & 0x80) != 0);  // masked
    std::size_t head = n < 126 ? 2 : n <= 0xffff ? 4 : 10;
    REQUIRE(out.size() == head + 4 + n);
    CHECK(p[head] == 1);
    CHECK(p[head + 3] == 4);
    for (std::size_t i = 0; i < n; ++i)
      REQUIRE((p[head + 4 + i] ^ p[head + (i & 3)]) == 'a');
  }
}

TEST_CASE(
    "frames written back to back are read one by one, the last one "
    "only once complete",
    "[bench]") {
  std::string big(70000, 'x');
  auto bytes = server_frame(ws_opcode::text, "{\"type\":\"pong\"}") +
               server_frame(ws_opcode::text, std::string(300, 'y')) +
               server_frame(ws_opcode::text, big);
  std::size_t pos = 0;
  ws_frame f;
  REQUIRE(next_frame(bytes, &pos, f, 1 << 20) == ws_parse::frame);
  CHECK(f.payload == "{\"type\":\"pong\"}");
  REQUIRE(next_frame(bytes, &pos, f, 1 << 20) == ws_parse::frame);
  CHECK(f.payload.size() == 300);
  // Every prefix of the last frame is incomplete, and leaves pos alone.
  for (std::size_t cut : {pos + 1, pos + 5, pos + 10, bytes.size() - 1}) {
    std::size_t p = pos;
    CHECK(next_frame(std::string_view(bytes).substr(0, cut), &p, f, 1 << 20) ==
          ws_parse::incomplete);
    CHECK(p == pos);
  }
  REQUIRE(next_frame(bytes, &pos, f, 1 << 20) == ws_parse::frame);
  CHECK(f.payload == big);
  CHECK(pos == bytes.size());
  CHECK(next_frame(bytes, &pos, f, 1 << 20) == ws_parse::incomplete);
}

TEST_CASE("frames a server must not send are bad", "[bench]") {
  std::size_t pos = 0;
  ws_frame f;
  std::string masked = server_frame(ws_opcode::text, "hi");
  masked[1] = static_cast<char>(masked[1] | 0x80);
  CHECK(next_frame(masked, &pos, f, 1024) == ws_parse::bad);
  std::string reserved = server_frame(ws_opcode::text, "hi");
  reserved[0] = static_cast<char>(reserved[0] | 0x40);
  CHECK(next_frame(reserved, &pos, f, 1024) == ws_parse::bad);
  CHECK(next_frame(server_frame(ws_opcode::ping, std::string(126, 'p')), &pos,
                   f, 1024) == ws_parse::bad);
  CHECK(next_frame(server_frame(ws_opcode::close, "", false), &pos, f, 1024) ==
        ws_parse::bad);
  CHECK(next_frame(server_frame(ws_opcode::text, std::string(2000, 'z')), &pos,
                   f, 1024) == ws_parse::bad);
  CHECK(pos == 0);
}
