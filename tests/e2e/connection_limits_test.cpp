// Caps on connections per user, per address and per node, and what the
// node does when it runs out of descriptors.
#include <sys/resource.h>

#include <boost/asio.hpp>
#include <filesystem>
#include <sstream>

#include "tests/e2e/e2e_fixture.hpp"

using namespace switchboard::testing;
namespace asio = boost::asio;

namespace {

std::size_t open_fds(pid_t pid) {
  std::size_t n = 0;
  for (auto& e : std::filesystem::directory_iterator(
           "/proc/" + std::to_string(pid) + "/fd")) {
    (void)e;
    ++n;
  }
  return n;
}

}  // namespace

TEST_CASE("a user past its cap of connections gets 429 until one closes",
          "[e2e][limits]") {
  e2e_fixture f({"--max-connections-per-user", "2"});
  auto a1 = f.connect("alice");
  auto a2 = f.connect("alice");
  auto token = f.node.token("alice");
  auto third =
      http_request(f.node.port(), "GET", "/v1/ws?token=" + token, {}, {}, true);
  CHECK(third.status == 429);
  CHECK(third.json()["error"].as_object()["code"] == "rate_limited");
  CHECK(third.headers.count("retry-after") == 1);
  // Others are not affected.
  auto bob = f.connect("bob");
  a1.reset();
  // The slot comes back once the node has seen the close.
  auto deadline = std::chrono::steady_clock::now() + 10s;
  int status = 0;
  while (status != 101 && std::chrono::steady_clock::now() < deadline)
    status = http_request(f.node.port(), "GET", "/v1/ws?token=" + token, {}, {},
                          true)
                 .status;
  CHECK(status == 101);
}

TEST_CASE(
    "connections past the caps per address and per node are refused "
    "with a JSON answer",
    "[e2e][limits]") {
  SECTION("per address") {
    e2e_fixture f({"--max-connections-per-address", "3"});
    asio::io_context ioc;
    std::vector<asio::ip::tcp::socket> held;
    for (int i = 0; i < 3; ++i) {
      held.emplace_back(ioc);
      held.back().connect({asio::ip::make_address("127.0.0.1"), f.node.port()});
    }
    // The node counts a connection once it has accepted it.
    auto deadline = std::chrono::steady_clock::now() + 10s;
    http_result r;
    while (r.status != 429 && std::chrono::steady_clock::now() < deadline)
      r = http_request(f.node.port(), "GET", "/healthz");
    REQUIRE(r.status == 429);
    CHECK(r.json()["error"].as_object()["code"] == "rate_limited");
    held.clear();
    r = {};
    while (r.status != 200 && std::chrono::steady_clock::now() < deadline)
      r = http_request(f.node.port(), "GET", "/healthz");
    CHECK(r.status == 200);
  }
  SECTION("per node") {
    e2e_fixture f({"--max-connections", "2"});
    asio::io_context ioc;
    std::vector<asio::ip::tcp::socket> held;
    for (int i = 0; i < 2; ++i) {
      held.emplace_back(ioc);
      held.back().connect({asio::ip::make_address("127.0.0.1"), f.node.port()});
    }
    auto deadline = std::chrono::steady_clock::now() + 10s;
    http_result r;
    while (r.status != 503 && std::chrono::steady_clock::now() < deadline)
      r = http_request(f.node.port(), "GET", "/healthz");
    REQUIRE(r.status == 503);
    CHECK(r.json()["error"].as_object()["code"] == "unavailable");
  }
}

TEST_CASE("out of descriptors the node backs off, counts it and recovers",
          "[e2e][limits]") {
  e2e_fixture f;
  auto alice = f.connect("alice");
  auto conv = e2e_fixture::create(*alice, "direct", {"bob"});
  auto pid = f.node.pid();
  rlimit old{};
  REQUIRE(::prlimit(pid, RLIMIT_NOFILE, nullptr, &old) == 0);
  auto used = open_fds(pid);
  rlimit tight{used + 4, old.rlim_max};  // the soft limit only
  REQUIRE(::prlimit(pid, RLIMIT_NOFILE, &tight, nullptr) == 0);
  asio::io_context ioc;
  std::vector<asio::ip::tcp::socket> held;
  for (int i = 0; i < 20; ++i) {
    held.emplace_back(ioc);
    held.back().connect({asio::ip::make_address("127.0.0.1"), f.node.port()});
  }
  // The node takes what it may, then accept fails with EMFILE.
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (open_fds(pid) < used + 4 &&
         std::chrono::steady_clock::now() < deadline) {
  }
  CHECK(open_fds(pid) >= used + 4);
  held.clear();
  REQUIRE(::prlimit(pid, RLIMIT_NOFILE, &old, nullptr) == 0);
  http_result r;
  while (r.status != 200 && std::chrono::steady_clock::now() < deadline) {
    try {
      r = http_request(f.node.port(), "GET", "/healthz");
    } catch (const std::exception&) {
    }
  }
  REQUIRE(r.status == 200);
  auto errors = metric(
      f.node.port(), R"(switchboard_limit_hits_total{limit="accept_errors"})");
  CHECK(errors >= 1);
  CHECK(errors < 1000);  // backing off, not spinning
  // The store was not starved: the connection that was open still sends.
  CHECK(e2e_fixture::send(*alice, conv, "still here", "1")["type"] == "sent");
}
