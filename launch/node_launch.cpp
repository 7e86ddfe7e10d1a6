#include "launch/node_launch.hpp"

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
#include <cerrno>
#include <charconv>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace switchboard::launch {

pid_t start_process(const std::vector<std::string>& argv,
                    const std::vector<std::string>& env, int out_fd,
                    bool keep_stdout) {
  std::vector<std::string> args = argv;
  std::vector<char*> cargs;
  for (auto& a : args) cargs.push_back(a.data());
  cargs.push_back(nullptr);
  // This environment, with `env`'s names replaced or added.
  std::vector<std::string> vars = env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view v(*e);
    auto name = v.substr(0, v.find('=') + 1);
    bool replaced = false;
    for (auto& x : env)
      if (x.compare(0, name.size(), name) == 0) replaced = true;
    if (!replaced) vars.emplace_back(v);
  }
  std::vector<char*> cvars;
  for (auto& v : vars) cvars.push_back(v.data());
  cvars.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // never outlive the parent
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (out_fd >= 0) {
      if (!keep_stdout) ::dup2(out_fd, STDOUT_FILENO);
      ::dup2(out_fd, STDERR_FILENO);
    }
    ::execvpe(cargs[0], cargs.data(), cvars.data());
    ::_exit(127);
  }
  return pid;
}

int stop_process(pid_t pid, std::chrono::milliseconds grace) {
  if (pid <= 0) return -1;
  // A pidfd becomes readable when the process exits.
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  ::kill(pid, SIGTERM);
  bool exited = false;
  if (pidfd >= 0) {
    auto until = std::chrono::steady_clock::now() + grace;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                      until - std::chrono::steady_clock::now())
                      .count();
      pollfd p{pidfd, POLLIN, 0};
      int r = ::poll(&p, 1, static_cast<int>(std::max<long long>(left, 0)));
      if (r < 0 && errno == EINTR) continue;
      exited = r == 1;
      break;
    }
    ::close(pidfd);
  }
  if (!exited) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!exited) return -1;
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

namespace {

// The port of "host:port" at `key` of a log line; 0 when absent, empty or
// not a port.
std::uint16_t port_of(const boost::json::object& o, const char* key) {
  auto* a = o.if_contains(key);
  if (!a || !a->is_string()) return 0;
  std::string_view addr(a->as_string());
  auto colon = addr.rfind(':');
  if (colon == std::string_view::npos) return 0;
  auto digits = addr.substr(colon + 1);
  std::uint16_t port = 0;
  auto [end, ec] =
      std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (ec != std::errc() || end != digits.data() + digits.size()) return 0;
  return port;
}

}  // namespace

started_node start_node(const std::vector<std::string>& argv,
                        const std::vector<std::string>& env,
                        std::chrono::milliseconds deadline, bool keep_stdout) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  started_node n;
  try {
    n.pid = start_process(argv, env, fds[1], keep_stdout);
  } catch (...) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw;
  }
  ::close(fds[1]);
  auto fail = [&](const std::string& why) {
    ::close(fds[0]);
    ::kill(n.pid, SIGKILL);
    int status = 0;
    while (::waitpid(n.pid, &status, 0) < 0 && errno == EINTR) {
    }
    throw std::runtime_error(why + ": " + n.log);
  };
  // One deadline for the whole start: a node that keeps logging without
  // ever listening must not hold its caller for ever.
  auto until = std::chrono::steady_clock::now() + deadline;
  std::string buf;
  while (n.port == 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    until - std::chrono::steady_clock::now())
                    .count();
    pollfd p{fds[0], POLLIN, 0};
    int ready = left <= 0 ? 0 : ::poll(&p, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0)
      fail("the node did not start within " + std::to_string(deadline.count()) +
           " ms");
    char chunk[4096];
    auto got = ::read(fds[0], chunk, sizeof chunk);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) fail("the node exited at start");
    buf.append(chunk, static_cast<std::size_t>(got));
    if (n.log.size() < start_log_cap)
      n.log.append(chunk, std::min(static_cast<std::size_t>(got),
                                   start_log_cap - n.log.size()));
    std::size_t nl;
    while (n.port == 0 && (nl = buf.find('\n')) != std::string::npos) {
      boost::system::error_code ec;
      auto v = boost::json::parse(buf.substr(0, nl), ec);
      buf.erase(0, nl + 1);
      if (ec || !v.is_object()) continue;
      auto& o = v.as_object();
      auto* event = o.if_contains("event");
      if (!event || *event != "listening") continue;
      n.admin_port = port_of(o, "admin_addr");
      n.port = port_of(o, "addr");
      if (n.port == 0) fail("the node's listening line names no port");
    }
    if (buf.size() > start_log_cap) fail("the node wrote a line without end");
  }
  n.log_fd = fds[0];
  return n;
}

}  // namespace switchboard::launch
