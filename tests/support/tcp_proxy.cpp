#include "tests/support/tcp_proxy.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <utility>
#include <vector>

namespace switchboard::testing {

namespace {

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

// A listening socket on `port` (0: any free one); -1 on failure.
int listen_on(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  auto a = loopback(port);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::listen(fd, 64) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Copies what `from` has to `to`; false when either side is done.
bool pass(int from, int to) {
  char buf[65536];
  auto n = ::read(from, buf, sizeof buf);
  if (n <= 0) return false;
  for (ssize_t off = 0; off < n;) {
    // send, not write: a peer gone must not raise SIGPIPE.
    auto w =
        ::send(to, buf + off, static_cast<std::size_t>(n - off), MSG_NOSIGNAL);
    if (w <= 0) return false;
    off += w;
  }
  return true;
}

}  // namespace

tcp_proxy::tcp_proxy(std::uint16_t target_port) : target_port_(target_port) {
  listener_ = listen_on(0);
  REQUIRE(listener_ >= 0);
  auto a = loopback(0);
  socklen_t len = sizeof a;
  REQUIRE(::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  port_ = ntohs(a.sin_port);
  REQUIRE(::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) == 0);
  thread_ = std::thread([this] { run(); });
}

tcp_proxy::~tcp_proxy() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  (void)!::write(wake_[1], "x", 1);
  thread_.join();
  if (listener_ >= 0) ::close(listener_);
  ::close(wake_[0]);
  ::close(wake_[1]);
}

std::string tcp_proxy::url() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

void tcp_proxy::cut() {
  std::unique_lock<std::mutex> lock(mutex_);
  want_cut_ = true;
  (void)!::write(wake_[1], "x", 1);
  done_.wait(lock, [&] { return is_cut_; });
}

void tcp_proxy::restore() {
  std::unique_lock<std::mutex> lock(mutex_);
  want_cut_ = false;
  (void)!::write(wake_[1], "x", 1);
  done_.wait(lock, [&] { return !is_cut_; });
  REQUIRE(listener_ >= 0);
}

void tcp_proxy::stall() {
  std::unique_lock<std::mutex> lock(mutex_);
  want_stall_ = true;
  (void)!::write(wake_[1], "x", 1);
  done_.wait(lock, [&] { return is_stalled_; });
}

void tcp_proxy::resume() {
  std::unique_lock<std::mutex> lock(mutex_);
  want_stall_ = false;
  (void)!::write(wake_[1], "x", 1);
  done_.wait(lock, [&] { return !is_stalled_; });
}

void tcp_proxy::run() {
  std::vector<std::pair<int, int>> pairs;  // (client, server)
  std::size_t frozen = 0;                  // pairs[0, frozen) are stalled
  for (;;) {
    std::vector<pollfd> fds{{wake_[0], POLLIN, 0}};
    int listener = -1;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      listener = listener_;
    }
    if (listener >= 0) fds.push_back({listener, POLLIN, 0});
    for (std::size_t p = 0; p < pairs.size(); ++p) {
      // poll ignores a negative fd: a stalled pair keeps its place.
      bool stalled = p < frozen;
      fds.push_back({stalled ? -1 : pairs[p].first, POLLIN, 0});
      fds.push_back({stalled ? -1 : pairs[p].second, POLLIN, 0});
    }
    ::poll(fds.data(), fds.size(), -1);
    if (fds[0].revents) {
      char drain[64];
      while (::read(wake_[0], drain, sizeof drain) > 0) {
      }
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) break;
      if (want_cut_ && !is_cut_) {
        for (auto [c, s] : pairs) {
          ::close(c);
          ::close(s);
        }
        pairs.clear();
        frozen = 0;
      }
      if (want_stall_ != is_stalled_) {
        frozen = want_stall_ ? pairs.size() : 0;
        is_stalled_ = want_stall_;
      }
      apply_locked();
      continue;  // the sets of fds changed
    }
    std::size_t i = 1;
    bool pending = listener >= 0 && fds[i++].revents;
    std::vector<std::pair<int, int>> alive;
    for (auto [c, s] : pairs) {
      bool ok = true;
      if (fds[i].revents) ok = pass(c, s);
      if (ok && fds[i + 1].revents) ok = pass(s, c);
      i += 2;
      if (ok) {
        alive.emplace_back(c, s);
      } else {
        ::close(c);
        ::close(s);
      }
    }
    pairs = std::move(alive);
    // Accepted after the pairs polled, so that every pair has its pollfd.
    if (pending) {
      int c = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
      if (c >= 0) {
        int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        auto a = loopback(target_port_);
        if (s >= 0 &&
            ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
          pairs.emplace_back(c, s);
        } else {
          ::close(c);
          if (s >= 0) ::close(s);
        }
      }
    }
  }
  for (auto [c, s] : pairs) {
    ::close(c);
    ::close(s);
  }
}

void tcp_proxy::apply_locked() {
  if (want_cut_ && !is_cut_) {
    ::close(listener_);
    listener_ = -1;
    is_cut_ = true;
  } else if (!want_cut_ && is_cut_) {
    listener_ = listen_on(port_);
    is_cut_ = false;
  }
  done_.notify_all();
}

}  // namespace switchboard::testing
