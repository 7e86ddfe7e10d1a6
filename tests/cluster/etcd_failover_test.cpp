#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>

#include "cluster/etcd_client.hpp"
#include "tests/cluster/etcd_fixture.hpp"

using namespace switchboard::cluster;
using namespace std::chrono_literals;
using switchboard::testing::etcd_process;
using switchboard::testing::make_client;
using switchboard::testing::watch_log;

namespace {

// A loopback socket bound to a port: with `listening`, connections are
// queued by the kernel and never accepted or answered (a hung server);
// without, they are refused (a dead one). The port is held until it dies.
class fake_endpoint {
 public:
  explicit fake_endpoint(bool listening, bool queue_full = false) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    if (listening) REQUIRE(::listen(fd_, 16) == 0);
    socklen_t len = sizeof a;
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port_ = ntohs(a.sin_port);
    if (queue_full) {
      // Fill the accept queue: Linux then drops further SYNs, so a connect
      // hangs as to a host that is gone.
      REQUIRE(::listen(fd_, 0) == 0);
      for (int& f : fillers_) {
        f = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        (void)::connect(f, reinterpret_cast<sockaddr*>(&a), sizeof a);
      }
    }
  }
  ~fake_endpoint() {
    for (int f : fillers_)
      if (f >= 0) ::close(f);
    ::close(fd_);
  }
  fake_endpoint(const fake_endpoint&) = delete;
  fake_endpoint& operator=(const fake_endpoint&) = delete;

  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_);
  }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
  int fillers_[3] = {-1, -1, -1};
};

using steady = std::chrono::steady_clock;

}  // namespace

TEST_CASE("a dead endpoint falls over to the next", "[etcd_failover]") {
  etcd_process etcd;
  fake_endpoint dead(false);
  auto client = make_client(dead.url() + "," + etcd.url());
  REQUIRE(client.put("k", "v"));
  auto got = client.range("k");
  REQUIRE(got);
  CHECK(got->kvs.at(0).value == "v");

  watch_log log;
  auto w = client.watch("k", "", 0, log.callback());
  REQUIRE(w);
  REQUIRE(client.put("k", "w"));
  REQUIRE(log.wait_events(1));
}

TEST_CASE(
    "an endpoint that does not accept in time is skipped, and the "
    "next call starts at the one that answered",
    "[etcd_failover]") {
  etcd_process etcd;
  fake_endpoint gone(true, true);
  etcd_options options;
  options.connect_timeout = 300ms;
  auto client = make_client(gone.url() + "," + etcd.url(), options);
  auto start = steady::now();
  REQUIRE(client.put("k", "v"));
  CHECK(steady::now() - start >= 300ms);  // waited for the first endpoint
  start = steady::now();
  REQUIRE(client.put("k", "w"));
  CHECK(steady::now() - start < 300ms);
}

TEST_CASE("once every endpoint is dead a request fails as unreachable",
          "[etcd_failover]") {
  etcd_process etcd;
  fake_endpoint dead(false);
  etcd_options options;
  options.request_timeout = 1000ms;
  auto client = make_client(etcd.url() + "," + dead.url(), options);
  REQUIRE(client.put("k", "v"));
  etcd.kill();
  auto start = steady::now();
  auto r = client.range("k");
  REQUIRE_FALSE(r);
  CHECK(r.err().code == errc::unreachable);
  CHECK(steady::now() - start < 1000ms);
}

TEST_CASE("a request to a server that never answers fails within its timeout",
          "[etcd_failover]") {
  fake_endpoint hung(true);
  etcd_options options;
  options.request_timeout = 300ms;
  auto client = make_client(hung.url(), options);
  auto start = steady::now();
  auto r = client.put("k", "v");
  auto took = steady::now() - start;
  REQUIRE_FALSE(r);
  CHECK(r.err().code == errc::timeout);
  CHECK(took >= 300ms);
  CHECK(took < 1300ms);

  start = steady::now();
  auto w = client.watch("k", "", 0, [](result<watch_response>) {});
  REQUIRE_FALSE(w);
  CHECK(w.err().code == errc::timeout);
  CHECK(steady::now() - start < 1300ms);
}

TEST_CASE("requests fail as unreachable at once when every endpoint refuses",
          "[etcd_failover]") {
  fake_endpoint a(false), b(false);
  auto client = make_client(a.url() + "," + b.url());
  auto start = steady::now();
  auto r = client.lease_grant(5);
  REQUIRE_FALSE(r);
  CHECK(r.err().code == errc::unreachable);
  CHECK(r.err().message.find(a.url()) != std::string::npos);
  CHECK(r.err().message.find(b.url()) != std::string::npos);
  CHECK(steady::now() - start < 500ms);
}
