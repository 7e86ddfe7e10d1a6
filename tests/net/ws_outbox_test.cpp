// The WebSocket session's outgoing queue (net/ws_session.cpp) through a
// real server on loopback and a real client: a client that does not read
// is closed with 1008 once the queue passes its cap, and one that reads is
// never closed, however much it is sent.
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "metrics/metrics.hpp"
#include "net/server.hpp"
#include "tests/support/ws_client.hpp"

using namespace switchboard;
using namespace std::chrono_literals;

namespace {

// Where the test's frames would go: nowhere (the client sends none).
struct quiet_handler : actors::connection_handler {
  void on_frame(std::string) override {}
  void on_close() override {}
  std::string refusal_frame(refusal) const override { return "{}"; }
};

// A server whose every WebSocket gets a welcome (the test client waits
// for one), and whose connections the test writes to.
struct outbox_server {
  metrics::node_metrics m;
  std::promise<std::shared_ptr<actors::client_connection>> opened;
  std::unique_ptr<net::server> srv;
  std::uint16_t port = 0;

  explicit outbox_server(std::size_t max_queue_bytes) {
    net::server_options o;
    o.port = 0;
    o.max_queue = 1 << 20;  // the byte cap is the one that bites here
    o.max_queue_bytes = max_queue_bytes;
    net::server_handlers h;
    h.http = [](net::http_request, std::function<void(net::http_response)> r) {
      r(net::http_response{404, "text/plain", "no", {}});
    };
    h.authenticate = [](const net::http_request&, std::string& user) {
      user = "u";
      return true;
    };
    h.open_websocket = [this](const std::string&,
                              std::shared_ptr<actors::client_connection> conn,
                              const std::string&) {
      conn->send_text(R"({"type":"welcome","session_id":"s1"})");
      opened.set_value(conn);
      return std::make_shared<quiet_handler>();
    };
    h.metrics = &m;
    srv = std::make_unique<net::server>(o, std::move(h));
    port = srv->start();
  }
  ~outbox_server() { srv->stop(); }
};

const std::string kilobyte_frame =
    R"({"type":"message","body":")" + std::string(1000, 'x') + R"("})";

}  // namespace

TEST_CASE("a client that does not read is closed with 1008 past the queue cap",
          "[net][outbox]") {
  outbox_server s(64 * 1024);
  testing::ws_client c(s.port, "t");
  auto conn = s.opened.get_future().get();
  c.stop_reading();
  // Until the kernel's buffers are full the frames leave; then they wait
  // in the queue, and past 64 KB of them the connection is given up.
  auto deadline = std::chrono::steady_clock::now() + 20s;
  std::size_t sent = 0;
  while (s.m.queue_drops.value() == 0) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    REQUIRE(sent < 200000);  // 200 MB: far past any socket buffer
    conn->send_text(kilobyte_frame);
    ++sent;
    if (sent % 256 == 0) std::this_thread::yield();  // let the I/O thread write
  }
  CHECK(s.m.queue_drops.value() == 1);
  // Reading again, the client gets what left before, then the close.
  c.resume_reading();
  auto code = c.wait_closed(20s);
  REQUIRE(code);
  CHECK(*code == 1008);
}

TEST_CASE("a client that reads is never closed, however much it is sent",
          "[net][outbox]") {
  outbox_server s(64 * 1024);
  testing::ws_client c(s.port, "t");
  auto conn = s.opened.get_future().get();
  // 8 MB, 128 times the cap, with at most 16 KB not yet received.
  int received = 0;
  for (int i = 1; i <= 8192; ++i) {
    conn->send_text(kilobyte_frame);
    for (; i - received > 16; ++received) c.expect("message", 10s);
  }
  for (; received < 8192; ++received) c.expect("message", 10s);
  CHECK(s.m.queue_drops.value() == 0);
  CHECK_FALSE(c.wait_closed(0ms));
}
