#include "bench/harness/cluster_spawn.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace switchboard::bench {

namespace json = boost::json;
using clock_type = std::chrono::steady_clock;

namespace {

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

// A loopback port nobody listens on now (the kernel may hand it out again:
// use it at once).
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

std::string spawned_etcd::url() const {
  return "http://127.0.0.1:" + std::to_string(client_port_);
}

bool spawned_etcd::try_start(std::string& why) {
  client_port_ = free_loopback_port();
  auto peer_port = free_loopback_port();
  auto client = url();
  auto peer = "http://127.0.0.1:" + std::to_string(peer_port);
  auto data = dir_ + "/data";
  auto log_path = dir_ + "/etcd.log";
  int log =
      ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
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
      std::filesystem::remove_all(data, ec);
      return false;
    }
  }
  stop();
  why = "etcd was not healthy after 20 s: " + tail_of(log_path);
  throw std::runtime_error(why);
}

spawned_cluster::spawned_cluster(const std::string& binary,
                                 const std::string& secret, int n,
                                 bool progress)
    : binary_(binary) {
  auto begun = clock_type::now();
  for (int i = 1; i <= n; ++i)
    nodes_.push_back(std::make_unique<spawned_node>(
        binary, secret,
        std::vector<std::string>{"--etcd", etcd_.url(), "--node-id",
                                 "n" + std::to_string(i), "--cluster-listen",
                                 "127.0.0.1:0"}));
  wait_live(nodes_.size());
  rebalance(progress);
  if (progress)
    std::fprintf(
        stderr, "cluster of %d nodes ready in %.1f s (etcd %s)\n", n,
        std::chrono::duration<double>(clock_type::now() - begun).count(),
        etcd_.url().c_str());
}

spawned_cluster::~spawned_cluster() {
  for (auto& n : nodes_) n->terminate();  // they drain at once, together
  nodes_.clear();
}

std::vector<endpoint> spawned_cluster::endpoints() const {
  std::vector<endpoint> out;
  for (auto& n : nodes_) out.push_back({"127.0.0.1", n->port()});
  return out;
}

std::vector<int> spawned_cluster::pids() const {
  std::vector<int> out;
  for (auto& n : nodes_) out.push_back(n->pid());
  return out;
}

std::string spawned_cluster::admin(const std::string& command) {
  auto& n1 = *nodes_.front();
  std::string out;
  int status = run_child({binary_, "admin", "--node",
                          "127.0.0.1:" + std::to_string(n1.admin_port()),
                          "--token", n1.admin_token(), "--json", "-c", command},
                         out);
  if (status != 0)
    throw std::runtime_error("`switchboard admin -c " + command +
                             "` failed (status " + std::to_string(status) +
                             "): " + out);
  return out;
}

void spawned_cluster::wait_live(std::size_t want) {
  auto deadline = clock_type::now() + std::chrono::seconds(20);
  std::size_t live = 0;
  while (clock_type::now() < deadline) {
    auto v = json::parse(admin("nodes"));
    live = 0;
    for (auto& node : v.as_object().at("nodes").as_array())
      if (node.as_object().at("live").as_bool()) ++live;
    if (live == want) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  throw std::runtime_error("n1 sees " + std::to_string(live) + " of " +
                           std::to_string(want) + " nodes live after 20 s");
}

void spawned_cluster::rebalance(bool progress) {
  auto begun = clock_type::now();
  auto r = json::parse(admin("rebalance")).as_object();
  if (r.at("failed").to_number<std::int64_t>() != 0)
    throw std::runtime_error("rebalance: " + json::serialize(r));
  auto v = json::parse(admin("nodes")).as_object();
  std::string owned;
  for (auto& node : v.at("nodes").as_array()) {
    auto& o = node.as_object();
    auto shards = o.at("shards").to_number<std::int64_t>();
    if (shards == 0)
      throw std::runtime_error("after rebalance " +
                               std::string(o.at("id").as_string()) +
                               " owns no shard: " + json::serialize(v));
    owned += (owned.empty() ? "" : " ") + std::string(o.at("id").as_string()) +
             ":" + std::to_string(shards);
  }
  if (progress)
    std::fprintf(
        stderr, "rebalance moved %lld shards in %.1f s; shards owned %s\n",
        static_cast<long long>(r.at("moved").to_number<std::int64_t>()),
        std::chrono::duration<double>(clock_type::now() - begun).count(),
        owned.c_str());
}

}  // namespace switchboard::bench
