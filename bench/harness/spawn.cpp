#include "bench/harness/spawn.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace switchboard::bench {

namespace {

struct child {
  pid_t pid;
  std::string dir;
  bool last;
};
std::mutex children_mu;
std::vector<child> children;  // in start order

}  // namespace

std::string make_temp_dir(const std::string& stem) {
  std::string tmpl = (std::filesystem::temp_directory_path() /
                      ("switchboard-bench-" + stem + "-XXXXXX"))
                         .string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

pid_t start_child(const std::vector<std::string>& argv, int out_fd) {
  // Everything the child needs is made before the fork: after it, in a
  // process with threads, only async-signal-safe calls.
  std::vector<std::string> args = argv;
  std::vector<char*> cargs;
  for (auto& a : args) cargs.push_back(a.data());
  cargs.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // never outlive the harness
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (out_fd >= 0) {
      ::dup2(out_fd, STDOUT_FILENO);
      ::dup2(out_fd, STDERR_FILENO);
    }
    ::execvp(cargs[0], cargs.data());
    ::_exit(127);
  }
  return pid;
}

void stop_child(pid_t pid, int grace_ms) {
  if (pid <= 0) return;
  // A pidfd becomes readable when the process exits.
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  ::kill(pid, SIGTERM);
  bool exited = false;
  if (pidfd >= 0) {
    pollfd p{pidfd, POLLIN, 0};
    exited = ::poll(&p, 1, grace_ms) == 1;
    ::close(pidfd);
  }
  if (!exited) {
    // A node that does not drain in time is a finding, not a detail.
    std::fprintf(stderr,
                 "switchboard-bench: process %d did not exit within %d ms of "
                 "SIGTERM; killed\n",
                 static_cast<int>(pid), grace_ms);
    ::kill(pid, SIGKILL);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
}

int run_child(const std::vector<std::string>& argv, std::string& output) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  pid_t pid = start_child(argv, fds[1]);
  ::close(fds[1]);
  char chunk[4096];
  ssize_t n;
  while ((n = ::read(fds[0], chunk, sizeof chunk)) > 0)
    output.append(chunk, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void register_child(pid_t pid, const std::string& dir, bool last) {
  std::lock_guard<std::mutex> lock(children_mu);
  children.push_back({pid, dir, last});
}

void unregister_child(pid_t pid) {
  std::lock_guard<std::mutex> lock(children_mu);
  children.erase(std::remove_if(children.begin(), children.end(),
                                [pid](const child& c) { return c.pid == pid; }),
                 children.end());
}

void stop_children_on_signal() {
  sigset_t set;
  ::sigemptyset(&set);
  ::sigaddset(&set, SIGINT);
  ::sigaddset(&set, SIGTERM);
  ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([set] {
    int sig = 0;
    ::sigwait(&set, &sig);
    std::lock_guard<std::mutex> lock(children_mu);
    // Nodes leave the cluster through etcd: etcd (`last`) goes after them.
    for (bool last : {false, true})
      for (auto c = children.rbegin(); c != children.rend(); ++c)
        if (c->last == last) stop_child(c->pid, 30000);
    for (auto& c : children) {
      std::error_code ec;
      std::filesystem::remove_all(c.dir, ec);
    }
    ::_exit(130);
  }).detach();
}

spawned_node::spawned_node(const std::string& binary, const std::string& secret,
                           const std::vector<std::string>& extra) {
  dir_ = make_temp_dir("node");
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  std::vector<std::string> args = {
      binary,          "serve",     "--listen",       "127.0.0.1:0",
      "--data-dir",    dir_,        "--admin-listen", "127.0.0.1:0",
      "--jwt-secret",  secret,      "--send-rate",    "100000000",
      "--send-burst",  "100000000", "--max-queue",    "1000000",
      "--heartbeat-s", "60"};
  // A load generator is one user times thousands from one address: the
  // node's per-user and per-connection limits would measure themselves.
  for (const char* arg : {"--max-queue-bytes", "4294967296", "--max-in-flight",
                          "65536", "--max-connections-per-address", "0",
                          "--max-connections-per-user", "0"})
    args.emplace_back(arg);
  for (const char* kind : {"sync", "conversations", "presence", "typing",
                           "create", "members", "cursor", "ping"}) {
    args.push_back(std::string("--rate-") + kind);
    args.emplace_back("100000000/100000000");
  }
  args.insert(args.end(), extra.begin(), extra.end());
  try {
    pid_ = start_child(args, fds[1]);
  } catch (...) {
    ::close(fds[0]);
    ::close(fds[1]);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    throw;
  }
  register_child(pid_, dir_);
  ::close(fds[1]);
  // From here a throw leaves the constructor without the destructor: stop
  // what was started ourselves.
  auto fail = [&](const std::string& why) {
    ::close(fds[0]);
    stop_child(pid_, 5000);
    unregister_child(pid_);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    throw std::runtime_error(why);
  };
  std::string buf, log;
  // One deadline for the whole start: a node that keeps logging without
  // ever listening must not hold the harness forever.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (port_ == 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    pollfd p{fds[0], POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0)
      fail("the node did not start within 30 s: " + log);
    char chunk[4096];
    auto n = ::read(fds[0], chunk, sizeof chunk);
    if (n <= 0) fail("the node exited at start: " + log);
    buf.append(chunk, static_cast<std::size_t>(n));
    log.append(chunk, static_cast<std::size_t>(n));
    if (log.size() > 4000) log.erase(0, log.size() - 4000);
    std::size_t nl;
    while (port_ == 0 && (nl = buf.find('\n')) != std::string::npos) {
      boost::system::error_code ec;
      auto v = boost::json::parse(buf.substr(0, nl), ec);
      buf.erase(0, nl + 1);
      if (ec || !v.is_object()) continue;
      auto& o = v.as_object();
      auto* event = o.if_contains("event");
      if (!event || *event != "listening") continue;
      auto port_of = [&o](const char* key) -> std::uint16_t {
        auto* a = o.if_contains(key);
        if (!a || !a->is_string() || a->as_string().empty()) return 0;
        std::string addr(a->as_string());
        return static_cast<std::uint16_t>(
            std::stoi(addr.substr(addr.rfind(':') + 1)));
      };
      admin_port_ = port_of("admin_addr");
      port_ = port_of("addr");
    }
  }
  std::thread([fd = fds[0]] {
    char chunk[4096];
    while (::read(fd, chunk, sizeof chunk) > 0) {
    }
    ::close(fd);
  }).detach();
}

spawned_node::~spawned_node() {
  stop_child(pid_, 30000);
  unregister_child(pid_);
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void spawned_node::terminate() {
  if (pid_ > 0) ::kill(pid_, SIGTERM);
}

std::string spawned_node::admin_token() const {
  std::ifstream in(dir_ + "/admin_token");
  std::string t;
  std::getline(in, t);
  return t;
}

}  // namespace switchboard::bench
