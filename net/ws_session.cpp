#include "net/ws_session.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <mutex>
#include <vector>

#include "metrics/metrics.hpp"
#include "net/corked_stream.hpp"

namespace switchboard::net {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// One WebSocket connection. Everything runs on its I/O thread (one
// io_context, net/socket.hpp: no strand); one
// read in flight. Outgoing frames collect in the corked_stream under the
// WebSocket stream and go out many per TCP write; past max_queue frames or
// max_queue_bytes bytes waiting there (and in the outbox) the client is not
// reading: what has not started to go out is dropped and the connection
// closed with 1008. At max_in_flight requests unanswered the session stops
// reading the socket until answers go out (request_done).
class ws_session : public actors::client_connection,
                   public ws_control,
                   public std::enable_shared_from_this<ws_session> {
 public:
  ws_session(socket_type socket, std::string user,
             std::shared_ptr<const session_context> ctx, std::string remote,
             std::vector<connection_limits::slot> slots)
      : ws_(std::move(socket)),
        user_(std::move(user)),
        remote_(std::move(remote)),
        ctx_(std::move(ctx)),
        slots_(std::move(slots)) {}

  ~ws_session() override {
    if (handler_) handler_->on_close();
    if (registered_) {
      ctx_->registry->remove(this);
      if (auto* m = ctx_->handlers.metrics) m->connections.add(-1);
    }
  }

  void run(http::request<http::string_body> req) {
    ws_.next_layer().keep_alive(shared_from_this());
    // The upgrade's answer waits for the welcome, which follows as soon as
    // the user's actor has the session: one write, one TCP segment, one read
    // on the client instead of two of each. Whatever the session writes
    // first (the welcome, or a close) releases it.
    ws_.next_layer().hold(true);
    auto& o = ctx_->options;
    websocket::stream_base::timeout t;
    t.handshake_timeout = std::chrono::seconds(o.handshake_timeout_s);
    // Idleness is ours to judge (arm_idle_timer): Beast's own idle timer
    // does not count the client's WebSocket pings as a heartbeat.
    t.idle_timeout = websocket::stream_base::none();
    t.keep_alive_pings = false;
    ws_.set_option(t);
    ws_.read_message_max(o.max_frame);
    ws_.set_option(
        websocket::stream_base::decorator([](websocket::response_type& res) {
          res.set(http::field::server, "switchboard");
        }));
    ws_.async_accept(req, [self = shared_from_this()](beast::error_code ec) {
      self->on_accept(ec);
    });
  }

  // Any thread. Frames wait in the outbox until its I/O thread takes them all
  // at once: one post per burst, not one per frame.
  void send_text(std::string text) override {
    {
      std::lock_guard<std::mutex> lock(outbox_mtx_);
      if (overflowed_) return;
      outbox_bytes_ += text.size();
      if (outbox_bytes_ + buffered_.load(std::memory_order_relaxed) >
          ctx_->options.max_queue_bytes)
        overflowed_ = true;  // drain_outbox closes the connection
      else
        outbox_.push_back(std::move(text));
      if (outbox_posted_) return;
      outbox_posted_ = true;
    }
    asio::post(ws_.get_executor(),
               [self = shared_from_this()] { self->drain_outbox(); });
  }

  std::size_t reserve(std::size_t bytes) override {
    std::size_t queued;
    {
      std::lock_guard<std::mutex> lock(outbox_mtx_);
      queued = outbox_bytes_;
    }
    queued += buffered_.load(std::memory_order_relaxed);
    auto cap = ctx_->options.max_queue_bytes;
    auto r = reserved_.load(std::memory_order_relaxed);
    for (;;) {
      if (queued + r >= cap) return 0;
      auto n = std::min(bytes, cap - queued - r);
      if (reserved_.compare_exchange_weak(r, r + n)) return n;
    }
  }

  void release(std::size_t bytes) override {
    reserved_.fetch_sub(bytes, std::memory_order_relaxed);
  }

  void request_done() override {
    auto left = in_flight_.fetch_sub(1) - 1;
    // The load first: an exchange on every answer would be a locked
    // instruction on the hot path, and the node is rarely paused.
    if (left < ctx_->options.max_in_flight && paused_.load() &&
        paused_.exchange(false))
      asio::post(ws_.get_executor(),
                 [self = shared_from_this()] { self->do_read(); });
  }

  void close(std::uint16_t code, std::string reason) override {  // both bases
    asio::post(ws_.get_executor(), [self = shared_from_this(), code,
                                    reason = std::move(reason)]() mutable {
      self->start_close(code, std::move(reason));
    });
  }

 private:
  void on_accept(beast::error_code ec) {
    if (ec) return;
    ws_.next_layer().on_buffered([this](std::size_t n) {
      buffered_.store(n, std::memory_order_relaxed);
    });
    registered_ = true;
    ctx_->registry->add(shared_from_this());
    if (auto* m = ctx_->handlers.metrics) {
      m->connections.add(1);
      m->connections_total.inc();
    }
    handler_ =
        ctx_->handlers.open_websocket(user_, shared_from_this(), remote_);
    last_heard_ = std::chrono::steady_clock::now();
    // Pings and pongs from the client count as its heartbeat too.
    ws_.control_callback([this](websocket::frame_type, beast::string_view) {
      last_heard_ = std::chrono::steady_clock::now();
    });
    arm_idle_timer();
    do_read();
  }

  // A connection silent for ws_idle_timeout_s (twice the heartbeat) is
  // dropped; its user goes offline when it was the last one.
  void arm_idle_timer() {
    auto idle = std::chrono::seconds(ctx_->options.ws_idle_timeout_s);
    idle_timer_.expires_at(last_heard_ + idle);
    idle_timer_.async_wait(
        [self = shared_from_this(), idle](beast::error_code ec) {
          if (ec || self->closing_) return;
          if (std::chrono::steady_clock::now() - self->last_heard_ >= idle) {
            self->drop();
            return;
          }
          self->arm_idle_timer();
        });
  }

  // Reads a message piece by piece, at most read_chunk bytes at a time:
  // an idle connection then holds a small read buffer, not Beast's
  // default of a TCP frame's size. Beast still checks read_message_max.
  static constexpr std::size_t read_chunk = 512;

  void do_read() {
    ws_.async_read_some(
        buffer_, read_chunk,
        [self = shared_from_this()](beast::error_code ec, std::size_t) {
          self->on_read(ec);
        });
  }

  void on_read(beast::error_code ec) {
    last_heard_ = std::chrono::steady_clock::now();
    if (ec) {
      // Closed, timed out, too big (1009), not UTF-8 (1007): Beast has
      // answered the peer where the protocol asks for it.
      finish();
      return;
    }
    if (!ws_.is_message_done()) return do_read();
    using refusal = actors::connection_handler::refusal;
    if (ctx_->registry->draining) {
      enqueue(handler_->refusal_frame(refusal::draining));
    } else if (!ws_.got_text()) {
      enqueue(handler_->refusal_frame(refusal::not_text));
    } else {
      in_flight_.fetch_add(1);
      handler_->on_frame(beast::buffers_to_string(buffer_.data()));
    }
    flush();  // an error frame enqueued above
    buffer_.consume(buffer_.size());
    if (buffer_.capacity() > 4 * read_chunk) buffer_.shrink_to_fit();
    if (in_flight_.load() >= ctx_->options.max_in_flight) {
      // Backpressure: no more frames until answers go out. request_done
      // reads on; it may have run between the two loads, hence the second.
      paused_.store(true);
      if (auto* m = ctx_->handlers.metrics) m->limit_hit("in_flight");
      if (in_flight_.load() >= ctx_->options.max_in_flight ||
          !paused_.exchange(false))
        return;
    }
    do_read();
  }

  void flush() {
    auto& out = ws_.next_layer();
    out.flush();
    buffered_.store(out.bytes_buffered(), std::memory_order_relaxed);
  }

  void drain_outbox() {
    std::vector<std::string> frames;
    bool overflowed;
    {
      std::lock_guard<std::mutex> lock(outbox_mtx_);
      frames.swap(outbox_);
      outbox_posted_ = false;
      outbox_bytes_ = 0;
      overflowed = overflowed_;
    }
    if (overflowed) return overflow("queue_bytes");
    for (auto& text : frames) enqueue(text);
    ws_.next_layer().hold(false);
    flush();
  }

  void finish() {
    idle_timer_.cancel();
    closing_ = true;
    if (handler_) handler_->on_close();
  }

  void enqueue(const std::string& text) {
    if (closing_) return;
    auto& out = ws_.next_layer();
    if (out.frames_buffered() >= ctx_->options.max_queue)
      return overflow("queue_frames");
    if (out.bytes_buffered() + text.size() > ctx_->options.max_queue_bytes)
      return overflow("queue_bytes");
    out.append_text_frame(text);
  }

  // The client does not read: what has not started to go out is dropped
  // and the connection closes with 1008 once the write in flight is done;
  // a client that reads no more at all is cut off by the close handshake's
  // timeout. It resyncs from the log when it comes back: nothing is lost.
  void overflow(std::string_view limit) {
    if (closing_) return;
    if (auto* m = ctx_->handlers.metrics) {
      m->queue_drops.inc();
      m->limit_hit(limit);
    }
    ws_.next_layer().discard_pending();
    start_close(1008, "outgoing queue full: the client does not read");
  }

  void drop() {
    closing_ = true;
    beast::error_code ec;
    auto& sock = beast::get_lowest_layer(ws_);
    sock.shutdown(socket_type::shutdown_both, ec);
    sock.close(ec);
  }

  // A graceful close: the close frame goes after every frame already
  // queued (the same buffer), then Beast waits for the client's.
  void start_close(std::uint16_t code, std::string reason) {
    if (closing_) return;  // closing already, or the connection is gone
    closing_ = true;
    ws_.next_layer().hold(false);
    websocket::close_reason why;
    why.code = code;
    why.reason = std::move(reason);
    ws_.async_close(why, [self = shared_from_this()](beast::error_code) {});
  }

  websocket::stream<corked_stream> ws_;
  timer_type idle_timer_{ws_.get_executor()};
  std::chrono::steady_clock::time_point last_heard_;
  beast::flat_buffer buffer_;
  std::string user_;
  std::string remote_;  // the peer, "ip:port"
  std::shared_ptr<const session_context> ctx_;
  std::vector<connection_limits::slot> slots_;  // counted while open
  std::shared_ptr<actors::connection_handler> handler_;
  std::mutex outbox_mtx_;
  std::vector<std::string> outbox_;  // frames from send_text, not yet taken
  std::size_t outbox_bytes_ = 0;     // their size
  bool outbox_posted_ = false;       // a drain_outbox is on its way
  bool overflowed_ = false;          // send_text passed max_queue_bytes
  // Published for other threads: corked_stream's bytes_buffered().
  std::atomic<std::size_t> buffered_{0};
  std::atomic<std::size_t> reserved_{0};   // reserve() minus release()
  std::atomic<std::size_t> in_flight_{0};  // frames handed on, not done
  std::atomic<bool> paused_{false};        // no read until request_done
  bool closing_ = false;
  bool registered_ = false;
};

}  // namespace

void start_ws_session(socket_type socket, http::request<http::string_body> req,
                      std::string user,
                      std::shared_ptr<const session_context> ctx,
                      std::string remote,
                      std::vector<connection_limits::slot> slots) {
  std::make_shared<ws_session>(std::move(socket), std::move(user),
                               std::move(ctx), std::move(remote),
                               std::move(slots))
      ->run(std::move(req));
}

}  // namespace switchboard::net
