#include "push/http_client.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <future>
#include <memory>

// The push HTTP client's reach: a public_only client (Web Push's, whose
// URLs clients choose) never opens a connection to this machine or its
// network, whatever the URL's host says.
using switchboard::push::http_client;
using namespace std::chrono_literals;

namespace {

// A listening socket on a free loopback port (`v6`: ::1) that nothing
// accepts on: a connection made to it waits in its backlog.
struct listener {
  int fd = -1;
  std::uint16_t port = 0;
  explicit listener(bool v6 = false) {
    fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    REQUIRE(fd >= 0);
    if (v6) {
      sockaddr_in6 a{};
      a.sin6_family = AF_INET6;
      a.sin6_addr = in6addr_loopback;
      REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
      socklen_t n = sizeof a;
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n);
      port = ntohs(a.sin6_port);
    } else {
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
      socklen_t n = sizeof a;
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n);
      port = ntohs(a.sin_port);
    }
    REQUIRE(::listen(fd, 16) == 0);
  }
  ~listener() { ::close(fd); }
  // Whether a connection came (it is taken and closed).
  bool connected() {
    int c = ::accept(fd, nullptr, nullptr);
    if (c < 0) {
      CHECK((errno == EAGAIN || errno == EWOULDBLOCK));
      return false;
    }
    ::close(c);
    return true;
  }
};

http_client::response fetch(http_client& c, const std::string& url) {
  std::promise<http_client::response> p;
  auto f = p.get_future();
  http_client::request r;
  r.url = url;
  r.body = "x";
  r.timeout = 500ms;
  c.send(r, [&](http_client::response res) { p.set_value(std::move(res)); });
  REQUIRE(f.wait_for(15s) == std::future_status::ready);
  return f.get();
}

}  // namespace

TEST_CASE(
    "a public-only client connects to no loopback address, by number or "
    "by name, and says why",
    "[push][webpush]") {
  listener v4;
  listener v6(true);
  http_client open;
  http_client guarded(64 * 1024, {}, http_client::reach::public_only);
  const auto p4 = std::to_string(v4.port);
  const auto p6 = std::to_string(v6.port);

  // The check is what stops it: the same URL from an ordinary client gets
  // a connection (then no TLS answer).
  auto plain = fetch(open, "https://127.0.0.1:" + p4 + "/push");
  CHECK(plain.status == 0);
  CHECK_FALSE(plain.not_public);
  CHECK(v4.connected());

  for (auto url :
       {"https://127.0.0.1:" + p4 + "/push",
        "https://127.1.2.3:" + p4 + "/push",  // all of 127/8
        "https://localhost:" + p4 + "/push", "https://[::1]:" + p6 + "/push",
        "https://[::ffff:127.0.0.1]:" + p4 + "/push"}) {
    INFO(url);
    auto res = fetch(guarded, url);
    CHECK(res.status == 0);
    CHECK(res.not_public);
    CHECK(res.error.find("not public") != std::string::npos);
  }
  CHECK_FALSE(v4.connected());
  CHECK_FALSE(v6.connected());

  // Nor plain http:, wherever it points.
  auto http = fetch(guarded, "http://127.0.0.1:" + p4 + "/push");
  CHECK(http.status == 0);
  CHECK_FALSE(http.error.empty());
  CHECK_FALSE(v4.connected());
}

TEST_CASE(
    "a client released from its own callback ends after it: what it still "
    "had fails as at a shutdown",
    "[push]") {
  listener silent;  // a connection to it waits, unanswered
  std::uint16_t closed_port = 0;
  {
    listener gone;
    closed_port = gone.port;
  }  // closed: a connection to it is refused at once
  auto client = std::make_shared<http_client>();
  std::promise<http_client::response> left_p;
  auto left = left_p.get_future();
  http_client::request waits;
  waits.url = "http://127.0.0.1:" + std::to_string(silent.port) + "/push";
  waits.body = "x";
  waits.timeout = 60s;
  client->send(waits, [&](http_client::response res) {
    left_p.set_value(std::move(res));
  });
  std::promise<void> released_p;
  auto released = released_p.get_future();
  http_client::request refused;
  refused.url = "http://127.0.0.1:" + std::to_string(closed_port) + "/push";
  refused.body = "x";
  refused.timeout = 5s;
  // Its only owner lets go in the callback, on the client's own thread.
  client->send(refused, [&](http_client::response) {
    client.reset();
    released_p.set_value();
  });
  REQUIRE(released.wait_for(15s) == std::future_status::ready);
  REQUIRE(left.wait_for(15s) == std::future_status::ready);
  auto res = left.get();
  CHECK(res.status == 0);
  CHECK(res.error == "the node is shutting down");
}
