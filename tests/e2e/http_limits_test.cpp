// HTTP requests that are too large or too slow.
#include <boost/asio.hpp>

#include "tests/e2e/e2e_fixture.hpp"

using namespace switchboard::testing;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// Reads until the peer closes (or fails); what was read.
std::string read_all(tcp::socket& s) {
  std::string out;
  boost::system::error_code ec;
  asio::read(s, asio::dynamic_buffer(out), ec);
  return out;
}

}  // namespace

TEST_CASE_METHOD(e2e_fixture,
                 "an oversized body gets its 413 while the client is still "
                 "sending it",
                 "[e2e][limits][http]") {
  for (int round = 0; round < 5; ++round) {
    asio::io_context ioc;
    tcp::socket s(ioc);
    s.connect({asio::ip::make_address("127.0.0.1"), node.port()});
    std::string body(8 << 20, 'x');  // 8 MB against max_frame's 64 kB
    std::string head =
        "POST /v1/conversations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Authorization: Bearer " +
        node.token("alice") +
        "\r\nContent-Type: application/json\r\nContent-Length: " +
        std::to_string(body.size()) + "\r\n\r\n";
    asio::write(s, asio::buffer(head));
    // The whole body is written before the answer is read, as a client
    // does that sends first and reads after: a node that closed with the
    // body unread would reset the connection, and the client would see
    // EPIPE and a reset instead of the answer.
    boost::system::error_code ec;
    asio::write(s, asio::buffer(body), ec);
    CHECK_FALSE(ec);
    s.shutdown(tcp::socket::shutdown_send, ec);
    auto answer = read_all(s);
    INFO("round " << round << ": " << answer.substr(0, 200));
    CHECK(answer.rfind("HTTP/1.1 413", 0) == 0);
    CHECK(answer.find(R"("code":"too_large")") != std::string::npos);
  }
  CHECK(metric(node.port(),
               R"(switchboard_limit_hits_total{limit="http_body"})") == 5);
}

TEST_CASE("slow headers and slow bodies time out", "[e2e][limits][http]") {
  e2e_fixture f({"--http-timeout-s", "1"});
  asio::io_context ioc;
  // Headers that never end, and a body that never comes.
  tcp::socket headers(ioc), body(ioc);
  headers.connect({asio::ip::make_address("127.0.0.1"), f.node.port()});
  body.connect({asio::ip::make_address("127.0.0.1"), f.node.port()});
  asio::write(headers, asio::buffer(std::string("GET /healthz HTTP/1.1\r\n")));
  asio::write(body,
              asio::buffer(std::string("POST /v1/conversations HTTP/1.1\r\n"
                                       "Host: x\r\nContent-Length: 100\r\n"
                                       "\r\n{\"kind\":")));
  // The node closes both by itself (read_all returns at the close); a node
  // that waited for them would leave this test to its own timeout.
  CHECK(read_all(headers).empty());
  CHECK(read_all(body).empty());
  CHECK(http_request(f.node.port(), "GET", "/healthz").status == 200);
  CHECK(metric(f.node.port(),
               R"(switchboard_limit_hits_total{limit="http_timeout"})") == 2);
}
