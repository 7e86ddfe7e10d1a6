#include "net/http_session.hpp"

#include <array>
#include <boost/asio/dispatch.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <memory>
#include <optional>

#include "metrics/metrics.hpp"
#include "net/ws_session.hpp"

namespace switchboard::net {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// One HTTP/1.1 connection. Everything runs on its I/O thread (one
// io_context, net/socket.hpp: no strand); one
// request is handled at a time (no pipelining), one write in flight.
class http_session : public std::enable_shared_from_this<http_session> {
 public:
  http_session(socket_type socket, std::shared_ptr<const session_context> ctx,
               std::string remote, connection_limits::slot slot)
      : stream_(std::move(socket)),
        ctx_(std::move(ctx)),
        remote_(std::move(remote)),
        slot_(std::move(slot)) {}

  void run() {
    asio::dispatch(stream_.get_executor(),
                   [self = shared_from_this()] { self->do_read(); });
  }

  // A connection past a cap: answered at once (its request is not read)
  // and closed gracefully, so that the client sees the answer.
  void refuse(connection_limits::refusal why) {
    asio::dispatch(stream_.get_executor(), [self = shared_from_this(), why] {
      self->keep_alive_ = false;
      bool node = why == connection_limits::refusal::node_full;
      if (auto* m = self->ctx_->handlers.metrics)
        m->limit_hit(node ? "connections_node" : "connections_address");
      auto res = node ? self->refused(common::proto_code::unavailable,
                                      "the node is at its connection limit; "
                                      "retry later or elsewhere")
                      : self->refused(common::proto_code::rate_limited,
                                      "too many connections from this address");
      res.headers.emplace_back("Retry-After", "1");
      self->write(std::move(res));
    });
  }

 private:
  void do_read() {
    parser_.emplace();
    head_ = false;
    parser_->body_limit(ctx_->options.max_request_body);
    // Headers and body within one timeout: a client that sends them slowly
    // holds a descriptor no longer than that.
    stream_.expires_after(std::chrono::seconds(ctx_->options.http_timeout_s));
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) {
          self->on_read(ec);
        });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream) return do_close();
    if (ec == http::error::body_limit) {
      if (auto* m = ctx_->handlers.metrics) m->limit_hit("http_body");
      auto res =
          refused(common::proto_code::too_large, "request body too large");
      keep_alive_ = false;
      return write(std::move(res));
    }
    if (ec == beast::error::timeout)
      if (auto* m = ctx_->handlers.metrics) m->limit_hit("http_timeout");
    if (ec) return;  // timeout, reset or garbage: drop the connection
    auto& req = parser_->get();
    keep_alive_ = req.keep_alive();
    head_ = req.method() == http::verb::head;
    if (beast::websocket::is_upgrade(req) && ctx_->handlers.open_websocket)
      return upgrade();
    http_request r = to_request(req);
    stream_.expires_never();
    ctx_->handlers.http(
        std::move(r), [self = shared_from_this()](http_response res) {
          asio::dispatch(self->stream_.get_executor(),
                         [self, res = std::move(res)]() mutable {
                           self->write(std::move(res));
                         });
        });
  }

  http_request to_request(http::request<http::string_body>& req) {
    http_request r;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    r.authorization = std::string(req[http::field::authorization]);
    r.content_type = std::string(req[http::field::content_type]);
    r.host = std::string(req[http::field::host]);
    r.origin = std::string(req[http::field::origin]);
    r.body = std::move(req.body());
    r.remote = remote_;
    return r;
  }

  // A WebSocket handshake: only on /v1/ws, and only with a valid token.
  void upgrade() {
    auto& req = parser_->get();
    auto target = std::string(req.target());
    auto path = target.substr(0, target.find('?'));
    keep_alive_ = false;
    if (path != "/v1/ws") {
      auto res = refused(common::proto_code::not_found,
                         "WebSocket endpoint is /v1/ws");
      return write(std::move(res));
    }
    if (ctx_->registry->draining) {
      auto res =
          refused(common::proto_code::unavailable, "the node is shutting down");
      return write(std::move(res));
    }
    std::string user;
    if (!ctx_->handlers.authenticate(to_request(req), user)) {
      auto res = refused(common::proto_code::unauthorized, user);
      return write(std::move(res));
    }
    connection_limits::refusal why;
    auto user_slot = ctx_->limits->admit_user(user, why);
    if (!user_slot) {
      if (auto* m = ctx_->handlers.metrics) m->limit_hit("connections_user");
      auto res = refused(common::proto_code::rate_limited,
                         "too many connections of this user");
      res.headers.emplace_back("Retry-After", "1");
      return write(std::move(res));
    }
    stream_.expires_never();
    start_ws_session(stream_.release_socket(), parser_->release(), user, ctx_,
                     remote_, {std::move(slot_), std::move(user_slot)});
  }

  // An answer of the transport's own, its body as the protocol writes it.
  http_response refused(common::proto_code code, const std::string& message) {
    if (ctx_->handlers.refusal) return ctx_->handlers.refusal(code, message);
    http_response res;
    res.status = common::info(code).http_status;
    res.content_type = "text/plain";
    res.body = message;
    return res;
  }

  void write(http_response res) {
    auto msg = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(res.status), 11);
    msg->set(http::field::server, "switchboard");
    if (!res.body.empty() || res.status != 204)
      msg->set(http::field::content_type, res.content_type);
    for (auto& [k, v] : res.headers) msg->set(k, v);
    msg->body() = std::move(res.body);
    msg->keep_alive(keep_alive_);
    msg->prepare_payload();
    // HEAD: the headers of the GET answer (Content-Length included), no
    // body; handlers answer HEAD as they answer GET.
    if (head_) msg->body().clear();
    stream_.expires_after(
        std::chrono::seconds(ctx_->options.handshake_timeout_s));
    http::async_write(
        stream_, *msg,
        [self = shared_from_this(), msg](beast::error_code ec, std::size_t) {
          if (ec) return;
          if (!self->keep_alive_) return self->do_close();
          self->do_read();
        });
  }

  // Ends the connection gracefully: no more writes, then what the client
  // still sends is read and dropped (up to a bound, within the timeout)
  // until it closes its side. Closing with unread bytes would reset the
  // connection, and a client still sending (an oversized body) would see
  // the reset instead of the answer.
  void do_close() {
    beast::error_code ec;
    stream_.socket().shutdown(socket_type::shutdown_send, ec);
    if (ec) return;
    stream_.expires_after(std::chrono::seconds(ctx_->options.http_timeout_s));
    discard();
  }

  void discard() {
    if (!scratch_) scratch_ = std::make_unique<std::array<char, 16384>>();
    stream_.async_read_some(
        asio::buffer(*scratch_),
        [self = shared_from_this()](beast::error_code ec, std::size_t n) {
          self->discarded_ += n;
          if (ec || self->discarded_ > drain_limit) return;  // closed or enough
          self->discard();
        });
  }

  static constexpr std::size_t drain_limit = 64u << 20;

  beast::basic_stream<tcp, io_executor> stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<const session_context> ctx_;
  std::string remote_;            // the peer, "ip:port"
  connection_limits::slot slot_;  // counted in the limits while open
  std::unique_ptr<std::array<char, 16384>> scratch_;  // do_close's reads
  std::size_t discarded_ = 0;
  bool keep_alive_ = true;
  bool head_ = false;  // the request being answered is a HEAD
};

}  // namespace

void start_http_session(socket_type socket,
                        std::shared_ptr<const session_context> ctx,
                        std::string remote, connection_limits::slot slot,
                        connection_limits::refusal why) {
  auto s = std::make_shared<http_session>(std::move(socket), std::move(ctx),
                                          std::move(remote), std::move(slot));
  if (why != connection_limits::refusal::none)
    s->refuse(why);
  else
    s->run();
}

}  // namespace switchboard::net
