#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace switchboard::testing {

// A TCP forwarder from a free loopback port to `target_port` on loopback,
// so that a test can cut one client off a server (an etcd) that others
// still reach directly. Bytes go through unchanged, on a thread of its
// own. Thread-safe.
class tcp_proxy {
 public:
  explicit tcp_proxy(std::uint16_t target_port);
  ~tcp_proxy();
  tcp_proxy(const tcp_proxy&) = delete;
  tcp_proxy& operator=(const tcp_proxy&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  // "http://127.0.0.1:PORT".
  std::string url() const;

  // Closes every connection through it and stops listening, so that new
  // ones are refused, until restore(). Returns once that is done.
  void cut();
  // Listens again on the same port.
  void restore();

  // Stops forwarding on the connections open now (a watch stream, say:
  // what the server sends waits in the kernel) while new ones go through,
  // until resume(). Returns once that is done.
  void stall();
  void resume();

 private:
  void run();
  // Applies `want_cut_` on the proxy's thread and wakes the caller of
  // cut, restore, stall or resume; mutex_ held.
  void apply_locked();

  std::uint16_t target_port_ = 0;
  std::uint16_t port_ = 0;
  int listener_ = -1;
  int wake_[2] = {-1, -1};  // a pipe: a command is waiting
  std::mutex mutex_;
  std::condition_variable done_;
  bool want_cut_ = false;
  bool is_cut_ = false;
  bool want_stall_ = false;
  bool is_stalled_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace switchboard::testing
