#include "tests/support/etcd_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <sstream>
#include <vector>

namespace switchboard::testing {

namespace {

using clock = std::chrono::steady_clock;

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

// True when GET /health on `port` answers {"health":"true"}.
bool healthy(std::uint16_t port) {
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

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  auto text = s.str();
  if (text.size() > 4000) text = "..." + text.substr(text.size() - 4000);
  return text;
}

// Waits up to `ms` for `pid` to exit; true when it did (and was reaped).
bool wait_exit(pid_t pid, int ms) {
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
  REQUIRE(fd >= 0);
  auto addr = loopback(0);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

etcd_process::etcd_process() {
  // Two tests may pick the same free port at once: the loser's etcd exits
  // at start, and it tries again on other ports.
  std::string why;
  for (int attempt = 0; attempt < 5; ++attempt)
    if (try_start(why)) return;
  FAIL("etcd did not start: " << why);
}

etcd_process::~etcd_process() {
  if (pid_ > 0) kill();
}

std::string etcd_process::url() const {
  return "http://127.0.0.1:" + std::to_string(client_port_);
}

bool etcd_process::try_start(std::string& why) {
  client_port_ = free_loopback_port();
  peer_port_ = free_loopback_port();
  auto client = "http://127.0.0.1:" + std::to_string(client_port_);
  auto peer = "http://127.0.0.1:" + std::to_string(peer_port_);
  auto data = (dir_.path() / "data").string();
  std::vector<std::string> argv = {"etcd",
                                   "--name=default",
                                   "--data-dir=" + data,
                                   "--listen-client-urls=" + client,
                                   "--advertise-client-urls=" + client,
                                   "--listen-peer-urls=" + peer,
                                   "--initial-advertise-peer-urls=" + peer,
                                   "--initial-cluster=default=" + peer,
                                   "--logger=zap",
                                   "--log-level=warn"};
  auto log_path = (dir_.path() / "etcd.log").string();
  int log =
      ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  REQUIRE(log >= 0);
  pid_ = ::fork();
  REQUIRE(pid_ >= 0);
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the tests
    ::dup2(log, STDOUT_FILENO);
    ::dup2(log, STDERR_FILENO);
    std::vector<char*> cargs;
    for (auto& a : argv) cargs.push_back(a.data());
    cargs.push_back(nullptr);
    ::execvp(cargs[0], cargs.data());
    ::_exit(127);
  }
  ::close(log);
  // Probe /health until it answers, waiting between probes on etcd's exit
  // (a pidfd), which is also how a failed start shows.
  auto deadline = clock::now() + std::chrono::seconds(20);
  while (clock::now() < deadline) {
    if (healthy(client_port_)) return true;
    if (wait_exit(pid_, 20)) {
      pid_ = -1;
      why = "etcd exited at start: " + read_file(log_path);
      std::filesystem::remove_all(data);
      return false;
    }
  }
  kill();
  why = "etcd was not healthy after 20 s: " + read_file(log_path);
  std::filesystem::remove_all(data);
  return false;
}

void etcd_process::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

}  // namespace switchboard::testing
