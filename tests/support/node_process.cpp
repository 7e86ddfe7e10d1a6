#include "tests/support/node_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "auth/jwt.hpp"

namespace switchboard::testing {

namespace {

// Forks and execs `argv` with `env` added, its stderr (and stdout when
// `with_stdout`) on `out_fd`; the child dies with this process.
pid_t spawn(std::vector<std::string> argv, std::vector<std::string> env,
            int out_fd, bool with_stdout) {
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // never outlive the tests
    if (with_stdout) ::dup2(out_fd, STDOUT_FILENO);
    ::dup2(out_fd, STDERR_FILENO);
    for (auto& e : env) ::putenv(e.data());
    std::vector<char*> cargs;
    for (auto& a : argv) cargs.push_back(a.data());
    cargs.push_back(nullptr);
    ::execvp(cargs[0], cargs.data());
    ::_exit(127);
  }
  return pid;
}

}  // namespace

node_process::node_process(std::vector<std::string> extra_args,
                           std::vector<std::string> env)
    : args_(std::move(extra_args)), env_(std::move(env)) {
  start();
}

node_process::~node_process() {
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
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  std::vector<std::string> argv = {
      SWITCHBOARD_BIN,  "serve",       "--listen",   "127.0.0.1:0",
      "--admin-listen", "127.0.0.1:0", "--data-dir", dir_.str(),
      "--jwt-secret",   secret};
  argv.insert(argv.end(), args_.begin(), args_.end());
  pid_ = spawn(argv, env_, fds[1], false);
  ::close(fds[1]);
  // Read the log until the node says where it listens.
  std::string buf;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (port_ == 0 || buf.find('\n') == std::string::npos) {
    if (std::chrono::steady_clock::now() > deadline)
      FAIL("the node did not start: " << buf);
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    char chunk[4096];
    auto n = ::read(fds[0], chunk, sizeof chunk);
    if (n <= 0) FAIL("the node exited at start: " << log());
    buf.append(chunk, static_cast<std::size_t>(n));
    {
      std::lock_guard<std::mutex> lock(log_->m);
      log_->text.append(chunk, static_cast<std::size_t>(n));
    }
    std::size_t nl;
    while ((nl = buf.find('\n')) != std::string::npos) {
      auto line = buf.substr(0, nl);
      buf.erase(0, nl + 1);
      boost::system::error_code ec;
      auto v = boost::json::parse(line, ec);
      if (ec || !v.is_object()) continue;
      auto& o = v.as_object();
      if (o.contains("event") && o["event"] == "listening") {
        std::string addr(o["addr"].as_string());
        port_ = static_cast<std::uint16_t>(
            std::stoi(addr.substr(addr.rfind(':') + 1)));
        std::string admin(o["admin_addr"].as_string());
        if (!admin.empty())
          admin_port_ = static_cast<std::uint16_t>(
              std::stoi(admin.substr(admin.rfind(':') + 1)));
        buf = "\n";
        break;
      }
    }
  }
  // The node's later log lines are kept for log() and wait_log(), by a
  // thread that drains the pipe so that the node never blocks on stderr.
  std::thread([fd = fds[0], out = log_] {
    char chunk[4096];
    ssize_t n = 0;
    while ((n = ::read(fd, chunk, sizeof chunk)) > 0) {
      {
        std::lock_guard<std::mutex> lock(out->m);
        out->text.append(chunk, static_cast<std::size_t>(n));
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
  // A pidfd becomes readable when the process exits: wait on it with a
  // deadline, then SIGKILL.
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
  ::kill(pid_, SIGTERM);
  int status = 0;
  bool exited = false;
  if (pidfd >= 0) {
    pollfd p{pidfd, POLLIN, 0};
    exited = ::poll(&p, 1, 20000) == 1;
    ::close(pidfd);
  }
  if (!exited) ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status, 0);
  if (!exited) {
    pid_ = -1;
    port_ = 0;
    return -1;
  }
  pid_ = -1;
  port_ = 0;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

command_result run_command(const std::vector<std::string>& argv,
                           const std::vector<std::string>& env,
                           int quiet_limit_s) {
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  pid_t pid = spawn(argv, env, fds[1], true);
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
