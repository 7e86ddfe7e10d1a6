#include "tests/support/fake_http_server.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <list>

namespace switchboard::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct fake_http_server::impl {
  asio::io_context io;
  tcp::acceptor acceptor{io};
  mutable std::mutex m;
  mutable std::condition_variable cv;
  std::vector<request> seen;
  handler h;
  std::atomic<bool> stopping{false};
  std::thread acceptor_thread;
  std::list<std::thread> connections;
  std::list<std::shared_ptr<tcp::socket>> sockets;

  void serve(std::shared_ptr<tcp::socket> s) {
    beast::flat_buffer buf;
    boost::system::error_code ec;
    while (!stopping) {
      http::request<http::string_body> req;
      http::read(*s, buf, req, ec);
      if (ec) return;
      request r;
      r.method = std::string(req.method_string());
      r.target = std::string(req.target());
      for (auto& f : req) {
        std::string name(f.name_string());
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return std::tolower(c); });
        r.headers[name] = std::string(f.value());
      }
      r.body = req.body();
      handler now;
      {
        std::lock_guard<std::mutex> l(m);
        now = h;
      }
      // Kept once its answer is decided: a test that waits for a request
      // and then changes the answers changes only later ones.
      auto out = now(r);
      {
        std::lock_guard<std::mutex> l(m);
        seen.push_back(r);
      }
      cv.notify_all();
      http::response<http::string_body> res{
          static_cast<http::status>(out.status), req.version()};
      for (auto& [k, v] : out.headers) res.set(k, v);
      if (!out.headers.count("content-type"))
        res.set(http::field::content_type, "application/json");
      res.body() = out.body;
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      http::write(*s, res, ec);
      if (ec || !req.keep_alive()) return;
    }
  }
};

fake_http_server::fake_http_server(handler h)
    : impl_(std::make_unique<impl>()) {
  impl_->h = std::move(h);
  auto& a = impl_->acceptor;
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
  a.open(ep.protocol());
  a.set_option(tcp::acceptor::reuse_address(true));
  a.bind(ep);
  a.listen();
  port_ = a.local_endpoint().port();
  impl_->acceptor_thread = std::thread([p = impl_.get()] {
    for (;;) {
      auto s = std::make_shared<tcp::socket>(p->io);
      boost::system::error_code ec;
      p->acceptor.accept(*s, ec);
      if (p->stopping || ec) return;
      std::lock_guard<std::mutex> l(p->m);
      p->sockets.push_back(s);
      p->connections.emplace_back([p, s] { p->serve(s); });
    }
  });
}

fake_http_server::~fake_http_server() {
  impl_->stopping = true;
  boost::system::error_code ec;
  impl_->acceptor.cancel(ec);
  impl_->acceptor.close(ec);
  // Wake the acceptor if it is blocked in accept: connect once.
  {
    asio::io_context io;
    tcp::socket s(io);
    s.connect({asio::ip::make_address("127.0.0.1"), port_}, ec);
  }
  impl_->acceptor_thread.join();
  std::list<std::thread> threads;
  {
    std::lock_guard<std::mutex> l(impl_->m);
    for (auto& s : impl_->sockets) {
      s->shutdown(tcp::socket::shutdown_both, ec);
      s->close(ec);
    }
    threads.swap(impl_->connections);
  }
  for (auto& t : threads) t.join();
}

std::vector<fake_http_server::request> fake_http_server::requests() const {
  std::lock_guard<std::mutex> l(impl_->m);
  return impl_->seen;
}

bool fake_http_server::wait_for(std::size_t n,
                                std::chrono::milliseconds deadline) const {
  std::unique_lock<std::mutex> l(impl_->m);
  return impl_->cv.wait_for(l, deadline,
                            [&] { return impl_->seen.size() >= n; });
}

void fake_http_server::set_handler(handler h) {
  std::lock_guard<std::mutex> l(impl_->m);
  impl_->h = std::move(h);
}

}  // namespace switchboard::testing
