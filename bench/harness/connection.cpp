#include "bench/harness/connection.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <random>

#include "bench/harness/ws_framing.hpp"

namespace switchboard::bench {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

std::string base64(const unsigned char* data, std::size_t n) {
  std::string out(4 * ((n + 2) / 3), '\0');
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data,
                  static_cast<int>(n));
  return out;
}

// Sec-WebSocket-Accept for `key` (RFC 6455 section 4.2.2).
std::string accept_for(const std::string& key) {
  std::string s = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(s.data()), s.size(), digest);
  return base64(digest, sizeof digest);
}

// A client connection that costs as little as the protocol allows, so that
// the harness leaves the CPU to the node: every frame queued while the
// thread is busy goes out in one TCP write, and every frame of one TCP read
// is handled before the next read. The upgrade is Beast's HTTP; the frames
// are ws_framing's.
class ws_connection : public connection,
                      public std::enable_shared_from_this<ws_connection> {
 public:
  ws_connection(asio::io_context& ioc, std::chrono::milliseconds open_timeout)
      : ioc_(ioc),
        socket_(ioc),
        open_timer_(ioc),
        open_timeout_(open_timeout),
        rng_(seed()) {}

  void open(const std::string& host, std::uint16_t port,
            const std::string& token, open_handler on_open,
            frame_handler on_frame, close_handler on_close) override {
    on_open_ = std::move(on_open);
    on_frame_ = std::move(on_frame);
    on_close_ = std::move(on_close);
    boost::system::error_code ec;
    auto addr = asio::ip::make_address(host, ec);
    if (ec) return opened(false, "connect: bad address " + host);
    req_ = std::make_unique<http::request<http::empty_body>>(
        http::verb::get, "/v1/ws?token=" + token, 11);
    req_->set(http::field::host, host + ":" + std::to_string(port));
    req_->set(http::field::upgrade, "websocket");
    req_->set(http::field::connection, "Upgrade");
    unsigned char nonce[16];
    for (auto& b : nonce) b = static_cast<unsigned char>(next_random());
    key_ = base64(nonce, sizeof nonce);
    req_->set(http::field::sec_websocket_key, key_);
    req_->set(http::field::sec_websocket_version, "13");
    // A node that accepts and never answers (overloaded, stopped) must
    // not hold the slot for ever.
    open_timer_.expires_after(open_timeout_);
    open_timer_.async_wait(
        [self = shared_from_this()](boost::system::error_code ec) {
          if (ec) return;  // cancelled: opened in time
          self->opened(false, "open: no upgrade within " +
                                  std::to_string(self->open_timeout_.count()) +
                                  " ms");
        });
    socket_.async_connect(
        tcp::endpoint(addr, port),
        [self = shared_from_this()](boost::system::error_code ec) {
          if (ec) return self->opened(false, "connect: " + ec.message());
          self->socket_.set_option(tcp::no_delay(true), ec);
          http::async_write(self->socket_, *self->req_,
                            [self](beast::error_code ec, std::size_t) {
                              if (ec)
                                return self->opened(
                                    false, "handshake: " + ec.message());
                              self->read_upgrade();
                            });
        });
  }

  void send(std::string text) override {
    if (closed_) return;
    append_client_frame(out_, ws_opcode::text, text, next_random());
    schedule_flush();
  }

  void close() override {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
  }

 private:
  // A seed per connection from one random_device per thread: opening a
  // random_device per connection took a fifth of the harness's CPU in the
  // connect storm.
  static std::uint32_t seed() {
    thread_local std::mt19937 gen{std::random_device{}()};
    return static_cast<std::uint32_t>(gen()) | 1;
  }

  std::uint32_t next_random() {  // xorshift32: mask keys and the nonce
    rng_ ^= rng_ << 13;
    rng_ ^= rng_ >> 17;
    rng_ ^= rng_ << 5;
    return rng_;
  }

  void read_upgrade() {
    res_ = std::make_unique<http::response_parser<http::empty_body>>();
    http::async_read(
        socket_, buffer_, *res_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) {
          self->on_upgrade(ec);
        });
  }

  void on_upgrade(beast::error_code ec) {
    if (ec) return opened(false, "handshake: " + ec.message());
    auto& res = res_->get();
    if (res.result() != http::status::switching_protocols)
      return opened(false,
                    "handshake: HTTP " + std::to_string(res.result_int()));
    if (res[http::field::sec_websocket_accept] != accept_for(key_))
      return opened(false, "handshake: wrong Sec-WebSocket-Accept");
    req_.reset();
    res_.reset();
    opened(true, {});
    on_data();  // frames that came with the upgrade's answer
  }

  // Once: the first outcome wins (the timer's, or the handshake's).
  void opened(bool ok, const std::string& err) {
    if (open_done_) return;
    open_done_ = true;
    open_timer_.cancel();
    if (!ok) close();
    if (on_open_) on_open_(ok, err);
  }

  void do_read() {
    if (closed_) return;
    socket_.async_read_some(buffer_.prepare(read_size),
                            [self = shared_from_this()](
                                boost::system::error_code ec, std::size_t n) {
                              if (ec) return self->lost();
                              self->buffer_.commit(n);
                              self->on_data();
                            });
  }

  // Handles every complete frame in the buffer, then reads again.
  void on_data() {
    std::string_view in(static_cast<const char*>(buffer_.data().data()),
                        buffer_.size());
    std::size_t pos = 0;
    ws_frame f;
    while (!closed_) {
      auto r = next_frame(in, &pos, f, max_message);
      if (r == ws_parse::incomplete) break;
      if (r == ws_parse::bad) return lost();
      on_frame(f);
    }
    buffer_.consume(pos);
    do_read();
  }

  void on_frame(const ws_frame& f) {
    switch (f.op) {
      case ws_opcode::ping:
        append_client_frame(out_, ws_opcode::pong, f.payload, next_random());
        return schedule_flush();
      case ws_opcode::pong:
        return;
      case ws_opcode::close:
        // Answer the close, then let the server end the TCP connection.
        append_client_frame(out_, ws_opcode::close, f.payload.substr(0, 2),
                            next_random());
        return schedule_flush();
      default:
        break;
    }
    if (!f.fin || !partial_.empty()) {  // a fragmented message
      partial_.append(f.payload);
      if (partial_.size() > max_message) return lost();
      if (!f.fin) return;
      auto whole = std::move(partial_);
      partial_.clear();
      return on_frame_(whole);
    }
    on_frame_(f.payload);
  }

  void lost() {
    bool was_closed = closed_;
    close();
    if (!was_closed && on_close_) on_close_();
  }

  void schedule_flush() {
    if (writing_ || flush_posted_) return;
    flush_posted_ = true;
    asio::post(ioc_, [self = shared_from_this()] {
      self->flush_posted_ = false;
      self->flush();
    });
  }

  void flush() {
    if (writing_ || out_.empty() || closed_) return;
    writing_ = true;
    inflight_.swap(out_);
    out_.clear();
    asio::async_write(
        socket_, asio::buffer(inflight_),
        [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
          self->writing_ = false;
          self->inflight_.clear();
          if (ec) return self->lost();
          self->flush();
        });
  }

  static constexpr std::size_t max_message = 1 << 20;
  static constexpr std::size_t read_size = 16 * 1024;  // many frames a read

  asio::io_context& ioc_;
  tcp::socket socket_;
  asio::steady_timer open_timer_;
  std::chrono::milliseconds open_timeout_;
  bool open_done_ = false;
  beast::flat_buffer buffer_;  // bytes read, not yet taken as frames
  std::string partial_;        // a fragmented message so far
  std::string out_;            // frames queued, not yet written
  std::string inflight_;       // frames being written
  bool writing_ = false;
  bool flush_posted_ = false;
  bool closed_ = false;
  std::uint32_t rng_;
  std::string key_;
  std::unique_ptr<http::request<http::empty_body>> req_;
  std::unique_ptr<http::response_parser<http::empty_body>> res_;
  open_handler on_open_;
  frame_handler on_frame_;
  close_handler on_close_;
};

}  // namespace

std::shared_ptr<connection> connection::create(
    asio::io_context& ioc, std::chrono::milliseconds open_timeout) {
  return std::make_shared<ws_connection>(ioc, open_timeout);
}

}  // namespace switchboard::bench
