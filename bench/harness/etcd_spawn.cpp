#include "bench/harness/etcd_spawn.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "bench/harness/spawn.hpp"

namespace switchboard::bench {

using clock_type = std::chrono::steady_clock;

namespace {

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

// True when GET /health on `port` answers {"health":"true"}.
bool etcd_healthy(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  timeval tv{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  auto addr = loopback(port);
  std::string answer;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const char req[] =
        "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (::write(fd, req, sizeof req - 1) ==
        static_cast<ssize_t>(sizeof req - 1)) {
      char buf[1024];
      ssize_t n;
      while ((n = ::read(fd, buf, sizeof buf)) > 0)
        answer.append(buf, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return answer.find("\"health\":\"true\"") != std::string::npos;
}

std::string tail_of(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  auto text = s.str();
  return text.size() > 2000 ? "..." + text.substr(text.size() - 2000) : text;
}

// Waits up to `ms` for `pid` to exit; true when it did (and was reaped).
bool exited_within(pid_t pid, int ms) {
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd >= 0) {
    pollfd p{pidfd, POLLIN, 0};
    ::poll(&p, 1, ms);
    ::close(pidfd);
  }
  int status = 0;
  return ::waitpid(pid, &status, WNOHANG) == pid;
}

}  // namespace

std::uint16_t free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  auto addr = loopback(0);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("no free loopback port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

spawned_etcd::spawned_etcd() {
  dir_ = make_temp_dir("etcd");
  // Another process may take a free port before etcd binds it: etcd then
  // exits at start, and we try again on other ports.
  std::string why;
  for (int attempt = 0; attempt < 5; ++attempt)
    if (try_start(why)) return;
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
  throw std::runtime_error("etcd did not start: " + why);
}

spawned_etcd::~spawned_etcd() {
  stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void spawned_etcd::stop() {
  if (pid_ <= 0) return;
  stop_child(pid_, 5000);
  unregister_child(pid_);
  pid_ = -1;
}

void spawned_etcd::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  unregister_child(pid_);
  pid_ = -1;
}

std::string spawned_etcd::url() const {
  return "http://127.0.0.1:" + std::to_string(client_port_);
}

bool spawned_etcd::try_start(std::string& why) {
  client_port_ = free_loopback_port();
  peer_port_ = free_loopback_port();
  return start_on_ports(why, true);
}

void spawned_etcd::restart() {
  if (pid_ > 0) kill();
  std::string why;
  if (!start_on_ports(why, false))
    throw std::runtime_error("etcd did not start again: " + why);
}

bool spawned_etcd::start_on_ports(std::string& why, bool fresh) {
  auto client = url();
  auto peer = "http://127.0.0.1:" + std::to_string(peer_port_);
  auto data = dir_ + "/data";
  auto log_path = dir_ + "/etcd.log";
  int log = ::open(
      log_path.c_str(),
      O_WRONLY | O_CREAT | (fresh ? O_TRUNC : O_APPEND) | O_CLOEXEC, 0600);
  if (log < 0) throw std::runtime_error("cannot write " + log_path);
  try {
    pid_ = start_child(
        {"etcd", "--name=bench", "--data-dir=" + data,
         "--listen-client-urls=" + client, "--advertise-client-urls=" + client,
         "--listen-peer-urls=" + peer, "--initial-advertise-peer-urls=" + peer,
         "--initial-cluster=bench=" + peer, "--logger=zap", "--log-level=warn"},
        log);
  } catch (...) {
    ::close(log);
    throw;
  }
  ::close(log);
  register_child(pid_, dir_, true);
  auto deadline = clock_type::now() + std::chrono::seconds(20);
  while (clock_type::now() < deadline) {
    if (etcd_healthy(client_port_)) return true;
    if (exited_within(pid_, 20)) {
      unregister_child(pid_);
      pid_ = -1;
      why = "etcd exited at start: " + tail_of(log_path);
      std::error_code ec;
      if (fresh) std::filesystem::remove_all(data, ec);
      return false;
    }
  }
  stop();
  why = "etcd was not healthy after 20 s: " + tail_of(log_path);
  throw std::runtime_error(why);
}

}  // namespace switchboard::bench
