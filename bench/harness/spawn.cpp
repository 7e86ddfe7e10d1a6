#include "bench/harness/spawn.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "actors/request_budgets.hpp"
#include "launch/node_launch.hpp"

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
  return launch::start_process(argv, {}, out_fd);
}

void stop_child(pid_t pid, int grace_ms) {
  if (pid <= 0) return;
  // A node that does not drain in time, or that a signal other than our
  // SIGTERM ended (a crash), is a finding, not a detail; etcd's re-raised
  // SIGTERM is not.
  int status = launch::stop_process(pid, std::chrono::milliseconds(grace_ms));
  if (status == -1)
    std::fprintf(stderr,
                 "switchboard-bench: process %d did not exit cleanly within "
                 "%d ms of SIGTERM\n",
                 static_cast<int>(pid), grace_ms);
  else if (status > 128 && status != 128 + SIGTERM)
    std::fprintf(stderr, "switchboard-bench: process %d died of signal %d\n",
                 static_cast<int>(pid), status - 128);
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

void set_child_pid(const std::string& dir, pid_t pid) {
  std::lock_guard<std::mutex> lock(children_mu);
  for (auto& c : children)
    if (c.dir == dir) c.pid = pid;
}

void unregister_dir(const std::string& dir) {
  std::lock_guard<std::mutex> lock(children_mu);
  children.erase(std::remove_if(children.begin(), children.end(),
                                [&](const child& c) { return c.dir == dir; }),
                 children.end());
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
  for (auto kind : actors::request_kind_names) {
    args.push_back("--rate-" + std::string(kind));
    args.emplace_back("100000000/100000000");
  }
  args.insert(args.end(), extra.begin(), extra.end());
  // Registered before it starts, so that a SIGINT meanwhile removes its
  // directory too (the node itself dies with the harness).
  register_child(-1, dir_);
  launch::started_node n;
  try {
    // Its stdout goes to the pipe with its log: the harness's own stdout
    // is the report.
    n = launch::start_node(args, {}, std::chrono::seconds(30), false);
  } catch (...) {
    unregister_dir(dir_);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    throw;
  }
  pid_ = n.pid;
  port_ = n.port;
  admin_port_ = n.admin_port;
  set_child_pid(dir_, pid_);
  // The rest of its log is read and dropped: a node must never block on a
  // full pipe.
  std::thread([fd = n.log_fd] {
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
