#pragma once

// Internal to net/: included by ws_session.cpp only (it pulls in Beast).
#include <algorithm>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/websocket/teardown.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "net/socket.hpp"

namespace switchboard::net {

// The layer under a WebSocket stream that turns many frames into one TCP
// write. Outgoing bytes collect in a buffer until the owner calls flush()
// (the session does at the end of each handler, so a burst of frames goes
// out together). A flush writes at once, without queueing an operation,
// when the socket takes the bytes (the common case); only what it cannot
// take waits for an asynchronous write, and frames appended meanwhile go
// in the next one. The server's own frames are appended whole
// (append_text_frame) without Beast's per-message write operation; Beast's
// control frames (pong, close) come through async_write_some into the same
// buffer, so frames never interleave. Reads pass straight through.
//
// Not thread-safe: everything runs on the connection's I/O thread. The
// owner (the session) is kept alive (keep_alive) while a flush is pending
// or a write in flight; async_teardown waits for the buffer to be written.
class corked_stream {
 public:
  using next_layer_type = socket_type;
  using executor_type = io_executor;

  // `socket` is in non-blocking mode (flush() tries it directly); the
  // server sets that once, at accept.
  explicit corked_stream(socket_type socket) : next_(std::move(socket)) {
    boost::system::error_code ec;
    if (!next_.non_blocking()) next_.non_blocking(true, ec);
  }

  executor_type get_executor() noexcept { return next_.get_executor(); }
  next_layer_type& next_layer() noexcept { return next_; }
  const next_layer_type& next_layer() const noexcept { return next_; }

  // What a write in flight holds on to (the session).
  void keep_alive(std::weak_ptr<void> owner) { owner_ = std::move(owner); }

  // While held, Beast's own writes (the upgrade's answer) wait in the buffer
  // for the owner's next flush() instead of going out on their own.
  void hold(bool on) { held_back_ = on; }

  // Appends one unmasked, unfragmented text frame (a server's frame). It
  // goes out at the next flush().
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
    if (pending_.capacity() == 0)
      pending_.reserve(std::max<std::size_t>(256, n + len));
    pending_.append(reinterpret_cast<const char*>(head), n);
    pending_.append(text);
    ++pending_frames_;
  }

  // Frames appended and not yet written to the socket.
  std::size_t frames_buffered() const noexcept {
    return pending_frames_ + inflight_frames_;
  }
  // Bytes appended and not yet written to the socket.
  std::size_t bytes_buffered() const noexcept {
    return pending_.size() + inflight_.size();
  }
  // Called with bytes_buffered() whenever a write completes or the buffer
  // empties, so that the owner can publish it to other threads.
  void on_buffered(std::function<void(std::size_t)> fn) {
    on_buffered_ = std::move(fn);
  }
  // Drops every frame appended that has not started to go out (a write in
  // flight finishes: a frame is never cut). For a connection about to be
  // closed because its client does not read. Not while held (the upgrade's
  // answer may be among them).
  void discard_pending() {
    if (held_back_) return;
    pending_.clear();
    pending_frames_ = 0;
  }

  // Writes what is appended: now, as far as the socket takes it, and the
  // rest asynchronously.
  void flush() {
    if (writing_) return;  // the write in flight flushes again when done
    if (!pending_.empty() && !error_) {
      boost::system::error_code ec;
      std::size_t n = next_.write_some(boost::asio::buffer(pending_), ec);
      if (ec == boost::asio::error::would_block ||
          ec == boost::asio::error::try_again)
        return write_rest(0);
      if (ec)
        error_ = ec;
      else if (n < pending_.size())
        return write_rest(n);
    }
    // All written, or the connection failed (what is left is dropped): an
    // idle connection holds no buffer, and what waited for this goes on.
    pending_frames_ = 0;
    release_buffers();
    if (on_buffered_) on_buffered_(0);
    run(drained_);
  }

  template <class MutableBufferSequence, class ReadHandler>
  auto async_read_some(const MutableBufferSequence& buffers,
                       ReadHandler&& handler) {
    return next_.async_read_some(buffers, std::forward<ReadHandler>(handler));
  }

  // Beast's own frames: taken whole into the buffer and flushed soon after;
  // completes (posted) at once, or after the write in flight when the
  // buffer is large, so that a peer that does not read slows Beast down
  // instead of growing the buffer.
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
    if (held_back_) {  // nothing else would write what is held
      held_back_ = false;
      schedule_flush();
    }
  }

 private:
  static constexpr std::size_t high_water = 256 * 1024;

  void schedule_flush() {
    if (writing_ || flush_posted_ || held_back_) return;
    flush_posted_ = true;
    boost::asio::post(get_executor(), [this, keep = owner_.lock()] {
      flush_posted_ = false;
      flush();
    });
  }

  // The socket is full: the rest of pending_, from byte `written` on, goes
  // when it drains; frames appended meanwhile wait for the next write.
  void write_rest(std::size_t written) {
    writing_ = true;
    inflight_.assign(pending_, written, std::string::npos);
    pending_.clear();
    inflight_frames_ = pending_frames_;
    pending_frames_ = 0;
    boost::asio::async_write(
        next_, boost::asio::buffer(inflight_),
        [this, keep = owner_.lock()](boost::beast::error_code ec, std::size_t) {
          writing_ = false;
          inflight_.clear();
          inflight_frames_ = 0;
          if (ec) error_ = ec;
          if (on_buffered_) on_buffered_(pending_.size());
          run(held_);  // Beast's writes held back by a full buffer go on
          flush();
        });
  }

  // Nothing waits to be written: an idle connection holds no write buffer.
  void release_buffers() {
    std::string().swap(pending_);
    std::string().swap(inflight_);
  }

  static void run(std::vector<std::function<void()>>& fns) {
    if (fns.empty()) return;
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
  bool held_back_ = false;  // hold()
  boost::beast::error_code error_;
  std::vector<std::function<void()>> held_;     // Beast write completions
  std::vector<std::function<void()>> drained_;  // waiting for an empty buffer
  std::function<void(std::size_t)> on_buffered_;
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
