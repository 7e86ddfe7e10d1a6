#include "tests/support/node_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

// For the listener below (Catch's reporter bases are otherwise only in the
// translation unit with its main).
#define CATCH_CONFIG_EXTERNAL_INTERFACES
#include <catch2/catch.hpp>
#include <chrono>
#include <iostream>
#include <set>
#include <thread>

#include "auth/jwt.hpp"
#include "launch/node_launch.hpp"

namespace switchboard::testing {

namespace {

// The nodes alive now, so that a failed assertion can show what they
// logged: a CI machine's temporary directories are gone after its run.
struct live_nodes {
  std::mutex m;
  std::set<const node_process*> nodes;
};
live_nodes& live() {
  static live_nodes l;
  return l;
}

constexpr std::size_t shown_lines = 150;

std::string last_lines(const std::string& text, std::size_t n) {
  auto start = text.size();
  for (std::size_t seen = 0; start > 0 && seen <= n;) {
    --start;
    if (text[start] == '\n') ++seen;
  }
  return start == 0 ? text : text.substr(start + 1);
}

// At the first failed assertion of a test case, the end of each live
// node's log goes to stderr (CTest keeps it in LastTest.log).
struct node_logs_on_failure : Catch::TestEventListenerBase {
  using TestEventListenerBase::TestEventListenerBase;
  void testCaseStarting(const Catch::TestCaseInfo& info) override {
    TestEventListenerBase::testCaseStarting(info);
    shown = false;
  }
  bool assertionEnded(const Catch::AssertionStats& stats) override {
    if (!stats.assertionResult.isOk() && !shown) {
      shown = true;
      std::lock_guard<std::mutex> lock(live().m);
      for (auto* n : live().nodes)
        std::cerr << "---- the last " << shown_lines
                  << " log lines of the node in " << n->data_dir() << " ("
                  << n->describe() << ")\n"
                  << last_lines(n->log(), shown_lines) << "---- end\n";
    }
    return TestEventListenerBase::assertionEnded(stats);
  }
  bool shown = false;
};

}  // namespace

CATCH_REGISTER_LISTENER(node_logs_on_failure)

std::string node_process::describe() const {
  std::string d =
      "pid " + std::to_string(pid_) + ", port " + std::to_string(port_);
  for (std::size_t i = 0; i + 1 < args_.size(); ++i)
    if (args_[i] == "--node-id") d += ", node " + args_[i + 1];
  return d;
}

node_process::node_process(std::vector<std::string> extra_args,
                           std::vector<std::string> env)
    : args_(std::move(extra_args)), env_(std::move(env)) {
  start();
  std::lock_guard<std::mutex> lock(live().m);
  live().nodes.insert(this);
}

node_process::~node_process() {
  {
    std::lock_guard<std::mutex> lock(live().m);
    live().nodes.erase(this);
  }
  if (pid_ > 0) (void)stop();
}

std::string node_process::token(const std::string& user, long ttl_s) const {
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  auth::claims c{user, now + ttl_s};
  c.iat = now;
  return auth::sign_token(secret, c);
}

void node_process::start() {
  std::vector<std::string> argv = {
      SWITCHBOARD_BIN,  "serve",       "--listen",   "127.0.0.1:0",
      "--admin-listen", "127.0.0.1:0", "--data-dir", dir_.str(),
      "--jwt-secret",   secret};
  argv.insert(argv.end(), args_.begin(), args_.end());
  launch::started_node n;
  try {
    n = launch::start_node(argv, env_, std::chrono::seconds(30));
  } catch (const std::exception& e) {
    FAIL(e.what());
  }
  pid_ = n.pid;
  port_ = n.port;
  admin_port_ = n.admin_port;
  {
    std::lock_guard<std::mutex> lock(log_->m);
    log_->text.append(n.log);
  }
  // The node's later log lines are kept for log() and wait_log(), by a
  // thread that drains the pipe so that the node never blocks on stderr.
  std::thread([fd = n.log_fd, out = log_] {
    char chunk[4096];
    ssize_t got = 0;
    while ((got = ::read(fd, chunk, sizeof chunk)) > 0) {
      {
        std::lock_guard<std::mutex> lock(out->m);
        out->text.append(chunk, static_cast<std::size_t>(got));
      }
      out->cv.notify_all();
    }
    ::close(fd);
  }).detach();
}

std::string node_process::log() const {
  std::lock_guard<std::mutex> lock(log_->m);
  return log_->text;
}

std::string node_process::wait_log(const std::vector<std::string>& parts,
                                   std::chrono::milliseconds timeout) const {
  std::string found;
  auto has_line = [&] {
    const auto& t = log_->text;
    std::size_t start = 0;
    for (auto nl = t.find('\n'); nl != std::string::npos;
         start = nl + 1, nl = t.find('\n', start)) {
      auto line = t.substr(start, nl - start);
      bool all = true;
      for (auto& p : parts)
        if (line.find(p) == std::string::npos) {
          all = false;
          break;
        }
      if (all) {
        found = std::move(line);
        return true;
      }
    }
    return false;
  };
  std::unique_lock<std::mutex> lock(log_->m);
  log_->cv.wait_for(lock, timeout, has_line);
  return found;
}

int node_process::stop() {
  if (pid_ <= 0) return -1;
  auto status = launch::stop_process(pid_, std::chrono::seconds(20));
  pid_ = -1;
  port_ = 0;
  return status;
}

command_result run_command(const std::vector<std::string>& argv,
                           const std::vector<std::string>& env,
                           int quiet_limit_s) {
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  pid_t pid = launch::start_process(argv, env, fds[1]);
  ::close(fds[1]);
  command_result r;
  char chunk[4096];
  for (;;) {
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, quiet_limit_s * 1000) <= 0) {
      ::kill(pid, SIGKILL);
      FAIL(argv[0] << " did not finish: " << r.output);
    }
    auto n = ::read(fds[0], chunk, sizeof chunk);
    if (n <= 0) break;
    r.output.append(chunk, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

command_result run_switchboard(const std::vector<std::string>& args,
                               const std::vector<std::string>& env) {
  std::vector<std::string> argv = {SWITCHBOARD_BIN};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, env);
}

void node_process::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  port_ = 0;
}

}  // namespace switchboard::testing
