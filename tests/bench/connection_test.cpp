#include "bench/harness/connection.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <catch2/catch.hpp>
#include <optional>

using namespace switchboard::bench;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

TEST_CASE(
    "a connection to a node that never answers the upgrade fails in "
    "its open timeout",
    "[bench]") {
  asio::io_context ioc;
  // Accepts (the kernel's backlog does) and never reads or writes.
  tcp::acceptor silent(ioc,
                       tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  auto port = silent.local_endpoint().port();
  auto c = connection::create(ioc, std::chrono::milliseconds(200));
  std::optional<bool> ok;
  std::string error;
  int calls = 0;
  c->open(
      "127.0.0.1", port, "token",
      [&](bool o, const std::string& e) {
        ok = o;
        error = e;
        ++calls;
      },
      [](std::string_view) {});
  // Runs until the connection has nothing left to wait for; the run
  // itself is bounded by the timeout under test.
  ioc.run_for(std::chrono::seconds(30));
  REQUIRE(ok.has_value());
  CHECK_FALSE(*ok);
  CHECK(error.find("open: no upgrade within 200 ms") != std::string::npos);
  CHECK(calls == 1);
}
