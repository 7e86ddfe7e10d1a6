#include "net/server.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <stdexcept>
#include <thread>
#include <vector>

#include "net/http_session.hpp"

namespace switchboard::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct server::impl {
  std::shared_ptr<session_context> ctx;
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::vector<std::thread> threads;
  bool stopped = false;

  void do_accept() {
    acceptor.async_accept(asio::make_strand(ioc),
                          [this](boost::system::error_code ec, tcp::socket s) {
                            if (ec == asio::error::operation_aborted) return;
                            if (!ec) {
                              s.set_option(tcp::no_delay(true), ec);
                              start_http_session(std::move(s), ctx);
                            }
                            do_accept();
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
  impl_->ctx = std::make_shared<session_context>(
      session_context{std::move(options), std::move(handlers)});
}

server::~server() { stop(); }

std::uint16_t server::start() {
  auto& o = impl_->ctx->options;
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(o.host, ec);
  if (ec) throw std::runtime_error("bad listen address '" + o.host + "'");
  tcp::endpoint ep(addr, o.port);
  auto& acc = impl_->acceptor;
  acc.open(ep.protocol(), ec);
  if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(ep, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    throw std::runtime_error("cannot listen on " + o.host + ":" +
                             std::to_string(o.port) + ": " + ec.message());
  auto port = acc.local_endpoint().port();
  impl_->do_accept();
  for (int i = 0; i < std::max(1, o.threads); ++i)
    impl_->threads.emplace_back([this] { impl_->ioc.run(); });
  return port;
}

void server::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  asio::post(impl_->ioc, [this] {
    boost::system::error_code ec;
    impl_->acceptor.close(ec);
  });
  impl_->ioc.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
}

}  // namespace switchboard::net
