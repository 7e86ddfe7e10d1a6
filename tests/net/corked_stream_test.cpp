#include "net/corked_stream.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <string>

// corked_stream's framing (net/corked_stream.hpp): the server's text
// frames appended whole, in RFC 6455's three length forms, buffered until
// flush(), written as one stream of bytes; dropped unwritten when asked.
using namespace switchboard::net;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// A connected pair on loopback: the server's end as net/ has it.
struct pair {
  asio::io_context ctx;
  tcp::socket client{ctx};
  socket_type server{ctx.get_executor()};
  pair() {
    tcp::acceptor acceptor(
        ctx, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    client.connect(acceptor.local_endpoint());
    acceptor.accept(server);
  }
};

// Reads one frame from `s`: its first byte and its payload.
std::pair<unsigned char, std::string> read_frame(tcp::socket& s) {
  unsigned char head[2];
  asio::read(s, asio::buffer(head));
  CHECK((head[1] & 0x80) == 0);  // a server's frames are not masked
  std::uint64_t len = head[1] & 0x7f;
  if (len == 126 || len == 127) {
    unsigned char ext[8];
    std::size_t n = len == 126 ? 2 : 8;
    asio::read(s, asio::buffer(ext, n));
    len = 0;
    for (std::size_t i = 0; i < n; ++i) len = (len << 8) | ext[i];
  }
  std::string payload(len, '\0');
  asio::read(s, asio::buffer(payload));
  return {head[0], payload};
}

}  // namespace

TEST_CASE(
    "text frames of every length form go out whole, in order, at "
    "flush",
    "[net][corked_stream]") {
  pair p;
  corked_stream out(std::move(p.server));
  std::string small = "hello";
  std::string medium(300, 'm');   // 126: a 16-bit length
  std::string large(70000, 'L');  // 127: a 64-bit length
  out.append_text_frame(small);
  out.append_text_frame(medium);
  out.append_text_frame(large);
  CHECK(out.frames_buffered() == 3);
  CHECK(out.bytes_buffered() == (2 + 5) + (4 + 300) + (10 + 70000));
  out.flush();
  // What the socket did not take at once goes out as the loop runs.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (out.bytes_buffered() != 0) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    p.ctx.run_for(std::chrono::milliseconds(10));
  }
  for (auto& want : {small, medium, large}) {
    auto [first, payload] = read_frame(p.client);
    CHECK(first == 0x81);  // FIN, text
    CHECK(payload == want);
  }
}

TEST_CASE("frames not yet written can be dropped, and nothing of them goes",
          "[net][corked_stream]") {
  pair p;
  corked_stream out(std::move(p.server));
  out.append_text_frame("never");
  out.discard_pending();
  CHECK(out.frames_buffered() == 0);
  CHECK(out.bytes_buffered() == 0);
  out.append_text_frame("after");
  out.flush();
  auto [first, payload] = read_frame(p.client);
  CHECK(payload == "after");
}
