#include "net/server.hpp"

#include <algorithm>
#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "common/thread_name.hpp"
#include "metrics/metrics.hpp"
#include "net/http_session.hpp"
#include "net/socket.hpp"

namespace switchboard::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// One io_context per I/O thread; each accepted connection is placed on one
// of them, round robin, and stays there (see socket.hpp).
struct server::impl {
  using work_guard = asio::executor_work_guard<io_executor>;

  std::shared_ptr<session_context> ctx;
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<work_guard> guards;
  std::unique_ptr<asio::basic_socket_acceptor<tcp, io_executor>> acceptor;
  std::vector<std::thread> threads;
  std::size_t next_context = 0;
  tcp::endpoint peer;  // of the connection being accepted
  std::unique_ptr<timer_type> backoff_timer;
  std::chrono::milliseconds backoff{0};
  bool stopped = false;
  std::chrono::steady_clock::time_point last_accept_log{};

  void do_accept() {
    auto& target = *contexts[next_context++ % contexts.size()];
    acceptor->async_accept(
        target.get_executor(), peer,
        [this](boost::system::error_code ec, socket_type s) {
          if (ec == asio::error::operation_aborted) return;
          if (ec) return accept_failed(ec);
          backoff = std::chrono::milliseconds(0);
          s.set_option(tcp::no_delay(true), ec);
          // Non-blocking from the start, as the session's writes need it
          // (one ioctl; Asio's own switch to non-blocking is then skipped).
          s.non_blocking(true, ec);
          if (ec)
            metrics::emit(ctx->handlers.log, "warn", "socket_option_failed",
                          {{"error", "non_blocking: " + ec.message()}});
          auto ip = peer.address().to_string();
          connection_limits::refusal why;
          auto slot = ctx->limits->admit_connection(ip, why);
          if (!slot) {
            slot = ctx->limits->admit_refusal();
            if (!slot) {  // too many being refused: no answer at all
              if (auto* m = ctx->handlers.metrics)
                m->limit_hit(why == connection_limits::refusal::node_full
                                 ? "connections_node"
                                 : "connections_address");
              s.close(ec);
              return do_accept();
            }
          }
          start_http_session(std::move(s), ctx,
                             ip + ":" + std::to_string(peer.port()),
                             std::move(slot), why);
          do_accept();
        });
  }

  // Out of descriptors (EMFILE, ENFILE) or memory, or the peer gave up
  // before accept: accepting again at once would fail again at once and
  // spin. Wait, doubling the wait up to a second, while connections close.
  void accept_failed(const boost::system::error_code& ec) {
    backoff = std::min(std::chrono::milliseconds(1000),
                       std::max(std::chrono::milliseconds(10), backoff * 2));
    if (auto* m = ctx->handlers.metrics) m->limit_hit("accept_errors");
    // Logged at most once a second: a flood of failures is one line.
    auto now = std::chrono::steady_clock::now();
    if (now - last_accept_log >= std::chrono::seconds(1)) {
      last_accept_log = now;
      auto wait = std::to_string(backoff.count());
      metrics::emit(ctx->handlers.log, "warn", "accept_failed",
                    {{"error", ec.message()}, {"retry_ms", wait}});
    }
    backoff_timer->expires_after(backoff);
    backoff_timer->async_wait([this](boost::system::error_code e) {
      if (!e) do_accept();
    });
  }
};

void ws_registry::add(const std::shared_ptr<ws_control>& c) {
  std::lock_guard<std::mutex> lock(mtx);
  open.emplace(c.get(), c);
}

void ws_registry::remove(ws_control* c) {
  std::lock_guard<std::mutex> lock(mtx);
  open.erase(c);
  if (open.empty()) cv.notify_all();
}

void server::begin_drain() { impl_->ctx->registry->draining = true; }

void server::close_websockets(std::uint16_t code, const std::string& reason) {
  std::vector<std::shared_ptr<ws_control>> all;
  {
    auto& r = *impl_->ctx->registry;
    std::lock_guard<std::mutex> lock(r.mtx);
    for (auto& [_, weak] : r.open)
      if (auto c = weak.lock()) all.push_back(std::move(c));
  }
  for (auto& c : all) c->close(code, reason);
}

bool server::wait_websockets_closed(std::chrono::milliseconds timeout) {
  auto& r = *impl_->ctx->registry;
  std::unique_lock<std::mutex> lock(r.mtx);
  return r.cv.wait_for(lock, timeout, [&] { return r.open.empty(); });
}

std::size_t server::open_websockets() const {
  auto& r = *impl_->ctx->registry;
  std::lock_guard<std::mutex> lock(r.mtx);
  return r.open.size();
}

server::server(server_options options, server_handlers handlers)
    : impl_(std::make_unique<impl>()) {
  connection_limits::caps caps{options.max_connections,
                               options.max_connections_per_address,
                               options.max_connections_per_user};
  impl_->ctx = std::make_shared<session_context>(
      session_context{std::move(options), std::move(handlers)});
  impl_->ctx->limits = std::make_shared<connection_limits>(caps);
}

server::~server() { stop(); }

std::uint16_t server::start() {
  auto& o = impl_->ctx->options;
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(o.host, ec);
  if (ec) throw std::runtime_error("bad listen address '" + o.host + "'");
  tcp::endpoint ep(addr, o.port);
  for (int i = 0; i < std::max(1, o.threads); ++i) {
    impl_->contexts.push_back(std::make_unique<asio::io_context>(1));
    impl_->guards.emplace_back(impl_->contexts.back()->get_executor());
  }
  impl_->acceptor =
      std::make_unique<asio::basic_socket_acceptor<tcp, io_executor>>(
          impl_->contexts[0]->get_executor());
  impl_->backoff_timer =
      std::make_unique<timer_type>(impl_->contexts[0]->get_executor());
  auto& acc = *impl_->acceptor;
  acc.open(ep.protocol(), ec);
  if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(ep, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    throw std::runtime_error("cannot listen on " + o.host + ":" +
                             std::to_string(o.port) + ": " + ec.message());
  auto port = acc.local_endpoint().port();
  impl_->do_accept();
  for (auto& c : impl_->contexts)
    impl_->threads.emplace_back([ioc = c.get()] {
      name_thread("sb-io");
      ioc->run();
    });
  return port;
}

void server::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  if (impl_->acceptor)
    asio::post(impl_->acceptor->get_executor(), [this] {
      boost::system::error_code ec;
      impl_->acceptor->close(ec);
    });
  for (auto& c : impl_->contexts) c->stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
}

}  // namespace switchboard::net
