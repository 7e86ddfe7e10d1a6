#pragma once

// Internal to net/: included by ws_session.cpp only (it pulls in Beast).
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/teardown.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace switchboard::net {

// The layer under a WebSocket stream that turns many frames into one TCP
// write. Outgoing bytes collect in a buffer; when no write is in flight a
// flush is posted, so every frame queued for the connection before the
// flush runs goes out in the same sendmsg, and frames queued while a write
// is in flight go in the next one. The server's own frames are appended
// whole (append_text_frame) without Beast's per-message write operation;
// Beast's control frames (pong, close) come through async_write_some into
// the same buffer, so frames never interleave. Reads pass straight through.
//
// Not thread-safe: everything runs on the connection's strand. The owner
// (the session) is kept alive (keep_alive) while a flush is pending or a
// write in flight; async_teardown waits for the buffer to be written.
class corked_stream {
 public:
  using next_layer_type = boost::beast::tcp_stream;
  using executor_type = next_layer_type::executor_type;

  explicit corked_stream(boost::asio::ip::tcp::socket socket)
      : next_(std::move(socket)) {}

  executor_type get_executor() noexcept { return next_.get_executor(); }
  next_layer_type& next_layer() noexcept { return next_; }
  const next_layer_type& next_layer() const noexcept { return next_; }

  // What a write in flight holds on to (the session).
  void keep_alive(std::weak_ptr<void> owner) { owner_ = std::move(owner); }

  // Appends one unmasked, unfragmented text frame (a server's frame).
  void append_text_frame(std::string_view text) {
    std::uint8_t head[10];
    std::size_t n = 0;
    head[n++] = 0x81;  // FIN, text
    auto len = text.size();
    if (len < 126) {
      head[n++] = static_cast<std::uint8_t>(len);
    } else if (len <= 0xffff) {
      head[n++] = 126;
      head[n++] = static_cast<std::uint8_t>(len >> 8);
      head[n++] = static_cast<std::uint8_t>(len);
    } else {
      head[n++] = 127;
      for (int shift = 56; shift >= 0; shift -= 8)
        head[n++] =
            static_cast<std::uint8_t>(static_cast<std::uint64_t>(len) >> shift);
    }
    pending_.append(reinterpret_cast<const char*>(head), n);
    pending_.append(text);
    ++pending_frames_;
    schedule_flush();
  }

  // Frames appended and not yet written to the socket.
  std::size_t frames_buffered() const noexcept {
    return pending_frames_ + inflight_frames_;
  }

  template <class MutableBufferSequence, class ReadHandler>
  auto async_read_some(const MutableBufferSequence& buffers,
                       ReadHandler&& handler) {
    return next_.async_read_some(buffers, std::forward<ReadHandler>(handler));
  }

  // Beast's own frames: taken whole into the buffer; completes (posted)
  // at once, or after the write in flight when the buffer is large, so
  // that a peer that does not read slows Beast down instead of growing
  // the buffer.
  template <class ConstBufferSequence, class WriteHandler>
  auto async_write_some(const ConstBufferSequence& buffers,
                        WriteHandler&& handler) {
    return boost::asio::async_initiate<
        WriteHandler, void(boost::beast::error_code, std::size_t)>(
        [this](auto h, const ConstBufferSequence& b) {
          std::size_t n = boost::asio::buffer_size(b);
          if (!error_) {
            auto old = pending_.size();
            pending_.resize(old + n);
            boost::asio::buffer_copy(boost::asio::buffer(&pending_[old], n), b);
            schedule_flush();
          }
          auto ex = boost::asio::get_associated_executor(h, get_executor());
          auto done = [h = std::move(h), ec = error_, n]() mutable {
            std::move(h)(ec, ec ? 0 : n);
          };
          if (writing_ && pending_.size() > high_water) {
            auto held = std::make_shared<decltype(done)>(std::move(done));
            held_.push_back(
                [ex, held] { boost::asio::post(ex, [held] { (*held)(); }); });
          } else {
            boost::asio::post(ex, std::move(done));
          }
        },
        handler, buffers);
  }

  // Runs `fn` once everything appended so far is written (or the
  // connection failed).
  void when_drained(std::function<void()> fn) {
    if (!writing_ && !flush_posted_ && pending_.empty()) return fn();
    drained_.push_back(std::move(fn));
  }

 private:
  static constexpr std::size_t high_water = 256 * 1024;

  void schedule_flush() {
    if (writing_ || flush_posted_) return;
    flush_posted_ = true;
    boost::asio::post(get_executor(), [this, keep = owner_.lock()] {
      flush_posted_ = false;
      flush();
    });
  }

  void flush() {
    if (writing_) return;
    if (pending_.empty() || error_) {
      pending_.clear();
      pending_frames_ = 0;
      run(drained_);
      return;
    }
    writing_ = true;
    inflight_.swap(pending_);
    pending_.clear();
    inflight_frames_ = pending_frames_;
    pending_frames_ = 0;
    boost::asio::async_write(
        next_, boost::asio::buffer(inflight_),
        [this, keep = owner_.lock()](boost::beast::error_code ec, std::size_t) {
          writing_ = false;
          inflight_frames_ = 0;
          if (pending_.empty()) {
            // Idle again: an idle connection holds no write buffer.
            std::string().swap(inflight_);
            std::string().swap(pending_);
          } else {
            inflight_.clear();
          }
          if (ec) error_ = ec;
          run(held_);  // Beast's writes held back by a full buffer go on
          flush();
        });
  }

  static void run(std::vector<std::function<void()>>& fns) {
    auto now = std::move(fns);
    fns.clear();
    for (auto& fn : now) fn();
  }

  next_layer_type next_;
  std::weak_ptr<void> owner_;
  std::string pending_;   // appended, not yet written
  std::string inflight_;  // being written
  std::size_t pending_frames_ = 0;
  std::size_t inflight_frames_ = 0;
  bool writing_ = false;
  bool flush_posted_ = false;
  boost::beast::error_code error_;
  std::vector<std::function<void()>> held_;     // Beast write completions
  std::vector<std::function<void()>> drained_;  // waiting for an empty buffer
};

inline void teardown(boost::beast::role_type role, corked_stream& s,
                     boost::beast::error_code& ec) {
  using boost::beast::websocket::teardown;
  teardown(role, s.next_layer(), ec);
}

// The close frame may still be in the buffer: write it first.
template <class TeardownHandler>
void async_teardown(boost::beast::role_type role, corked_stream& s,
                    TeardownHandler&& handler) {
  auto h = std::make_shared<std::decay_t<TeardownHandler>>(
      std::forward<TeardownHandler>(handler));
  s.when_drained([role, &s, h] {
    using boost::beast::websocket::async_teardown;
    async_teardown(role, s.next_layer(), std::move(*h));
  });
}

}  // namespace switchboard::net
