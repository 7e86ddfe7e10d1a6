#include "bench/harness/spawn.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <thread>
#include <vector>

namespace switchboard::bench {

spawned_node::spawned_node(const std::string& binary,
                           const std::string& secret) {
  std::string tmpl =
      (std::filesystem::temp_directory_path() / "switchboard-bench-XXXXXX")
          .string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
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
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // never outlive the harness
    ::dup2(fds[1], STDERR_FILENO);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  std::string buf;
  while (port_ == 0) {
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, 30000) <= 0)
      throw std::runtime_error("the node did not start");
    char chunk[4096];
    auto n = ::read(fds[0], chunk, sizeof chunk);
    if (n <= 0) throw std::runtime_error("the node exited at start: " + buf);
    buf.append(chunk, static_cast<std::size_t>(n));
    std::size_t nl;
    while (port_ == 0 && (nl = buf.find('\n')) != std::string::npos) {
      boost::system::error_code ec;
      auto v = boost::json::parse(buf.substr(0, nl), ec);
      buf.erase(0, nl + 1);
      if (ec || !v.is_object() || !v.as_object().contains("addr")) continue;
      std::string addr(v.as_object()["addr"].as_string());
      port_ = static_cast<std::uint16_t>(
          std::stoi(addr.substr(addr.rfind(':') + 1)));
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
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

}  // namespace switchboard::bench
