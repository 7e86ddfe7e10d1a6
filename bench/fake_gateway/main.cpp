// switchboard-fake-gateway: a Matrix push gateway for benchmarks
// (bench/push_bench.py). It answers every POST with 200 {"rejected":[]} at
// once, on one thread, and GET /count with how many it answered: a fake
// provider cheap enough that, on a small machine, the node's share of the
// CPU is what a benchmark measures, not the fake's.
//
//   switchboard-fake-gateway PORT
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

std::uint64_t answered = 0;

class session : public std::enable_shared_from_this<session> {
 public:
  explicit session(tcp::socket s) : socket_(std::move(s)) {
    socket_.set_option(tcp::no_delay(true));
  }
  void read() {
    req_ = {};
    http::async_read(
        socket_, buf_, req_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) {
          if (!ec) self->answer();
        });
  }

 private:
  void answer() {
    res_ = {};
    res_.version(req_.version());
    res_.keep_alive(req_.keep_alive());
    res_.set(http::field::content_type, "application/json");
    if (req_.method() == http::verb::get && req_.target() == "/count") {
      res_.result(http::status::ok);
      res_.body() = std::to_string(answered);
    } else {
      ++answered;
      res_.result(http::status::ok);
      res_.body() = R"({"rejected":[]})";
    }
    res_.prepare_payload();
    http::async_write(
        socket_, res_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) {
          if (!ec && self->res_.keep_alive()) self->read();
        });
  }

  tcp::socket socket_;
  beast::flat_buffer buf_;
  http::request<http::string_body> req_;
  http::response<http::string_body> res_;
};

void accept(tcp::acceptor& a) {
  a.async_accept([&a](beast::error_code ec, tcp::socket s) {
    if (!ec) std::make_shared<session>(std::move(s))->read();
    accept(a);
  });
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: switchboard-fake-gateway PORT\n";
    return 2;
  }
  asio::io_context io(1);
  tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"),
                       static_cast<unsigned short>(std::atoi(argv[1]))});
  accept(a);
  io.run();
}
