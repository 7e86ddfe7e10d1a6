#include "bench/harness/connection.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>

namespace switchboard::bench {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

class ws_connection : public connection,
                      public std::enable_shared_from_this<ws_connection> {
 public:
  explicit ws_connection(asio::io_context& ioc) : ws_(ioc) {}

  void open(const std::string& host, std::uint16_t port,
            const std::string& token, open_handler on_open,
            frame_handler on_frame, close_handler on_close) override {
    on_open_ = std::move(on_open);
    on_frame_ = std::move(on_frame);
    on_close_ = std::move(on_close);
    host_ = host + ":" + std::to_string(port);
    target_ = "/v1/ws?token=" + token;
    beast::get_lowest_layer(ws_).async_connect(
        tcp::endpoint(asio::ip::make_address(host), port),
        [self = shared_from_this()](beast::error_code ec) {
          if (ec) return self->opened(false, "connect: " + ec.message());
          beast::get_lowest_layer(self->ws_).socket().set_option(
              tcp::no_delay(true), ec);
          self->ws_.async_handshake(
              self->host_, self->target_, [self](beast::error_code ec) {
                if (ec)
                  return self->opened(false, "handshake: " + ec.message());
                self->opened(true, {});
                self->do_read();
              });
        });
  }

  void send(std::string text) override {
    if (closed_) return;
    out_.push_back(std::move(text));
    if (!writing_) do_write();
  }

  void close() override {
    if (closed_) return;
    closed_ = true;
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both,
                                                   ec);
    beast::get_lowest_layer(ws_).close();
  }

 private:
  void opened(bool ok, const std::string& err) {
    if (!ok) closed_ = true;
    if (on_open_) on_open_(ok, err);
  }

  void do_read() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec,
                                                        std::size_t) {
      if (ec) {
        bool was_closed = self->closed_;
        self->closed_ = true;
        if (!was_closed && self->on_close_) self->on_close_();
        return;
      }
      auto data = self->buffer_.cdata();
      self->on_frame_(
          std::string_view(static_cast<const char*>(data.data()), data.size()));
      self->buffer_.consume(self->buffer_.size());
      self->do_read();
    });
  }

  void do_write() {
    writing_ = true;
    ws_.text(true);
    ws_.async_write(
        asio::buffer(out_.front()),
        [self = shared_from_this()](beast::error_code ec, std::size_t) {
          self->writing_ = false;
          if (ec) return;
          self->out_.pop_front();
          if (!self->out_.empty()) self->do_write();
        });
  }

  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buffer_;
  std::deque<std::string> out_;
  bool writing_ = false;
  bool closed_ = false;
  std::string host_, target_;
  open_handler on_open_;
  frame_handler on_frame_;
  close_handler on_close_;
};

}  // namespace

std::shared_ptr<connection> connection::create(asio::io_context& ioc) {
  return std::make_shared<ws_connection>(ioc);
}

}  // namespace switchboard::bench
