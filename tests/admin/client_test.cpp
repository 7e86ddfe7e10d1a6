#include "admin/client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <catch2/catch.hpp>
#include <chrono>

// The admin shell's client gives up at its timeout on a node that accepts
// the connection and never answers, rather than waiting for ever.
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

TEST_CASE(
    "the admin client gives up at its timeout on a node that never "
    "answers",
    "[admin][client]") {
  asio::io_context ioc;
  // Listening, never accepting: the kernel completes the handshake, and
  // nobody ever reads or writes.
  tcp::acceptor silent(ioc,
                       tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  auto port = silent.local_endpoint().port();
  switchboard::admin::client c("127.0.0.1", port, "token",
                               std::chrono::seconds(1));
  auto start = std::chrono::steady_clock::now();
  auto r = c.call("GET", "/v1/admin/status");
  auto took = std::chrono::steady_clock::now() - start;
  CHECK(r.status == 0);
  INFO(r.body);
  CHECK(r.body.find("no answer from the node at 127.0.0.1:" +
                    std::to_string(port)) == 0);
  // Its own deadline ended it, not the test's (which would be never).
  CHECK(took < std::chrono::seconds(30));
}
