#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <random>
#include <sstream>

#include "storage/store.hpp"
#include "tests/support/temp_dir.hpp"

using namespace switchboard::storage;

namespace {

constexpr int conversations = 4;

// The child's acknowledged ids, as it reported them: conv -> highest msg_id.
using acked_map = std::map<std::string, std::uint64_t>;

void parse_lines(std::string& buf, acked_map& acked, int& count) {
  std::size_t nl;
  while ((nl = buf.find('\n')) != std::string::npos) {
    std::istringstream line(buf.substr(0, nl));
    buf.erase(0, nl + 1);
    std::string conv;
    std::uint64_t id = 0;
    line >> conv >> id;
    REQUIRE(id > 0);
    acked[conv] = std::max(acked[conv], id);
    ++count;
  }
}

// Runs the appender until it has acknowledged `target` messages, kills it
// with SIGKILL, and collects every acknowledgement it printed.
void run_and_kill(const std::string& dir, int target, acked_map& acked) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    ::close(fds[0]);
    ::close(fds[1]);
    std::string n = std::to_string(conversations);
    ::execl(CRASH_APPENDER_PATH, CRASH_APPENDER_PATH, dir.c_str(), n.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[1]);
  std::string buf;
  int count = 0;
  char chunk[4096];
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  bool killed = false;
  for (;;) {
    if (!killed && count >= target) {
      ::kill(pid, SIGKILL);
      killed = true;
    }
    if (!killed && std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      FAIL("the appender acknowledged only " << count << " of " << target);
    }
    pollfd p{fds[0], POLLIN, 0};
    int r = ::poll(&p, 1, 1000);
    if (r <= 0) continue;
    auto n = ::read(fds[0], chunk, sizeof chunk);
    if (n <= 0) break;  // EOF: the child is gone and the pipe is drained
    buf.append(chunk, static_cast<std::size_t>(n));
    parse_lines(buf, acked, count);
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(WIFSIGNALED(status));
  REQUIRE(WTERMSIG(status) == SIGKILL);
}

}  // namespace

TEST_CASE(
    "every acknowledged message survives SIGKILL, without gaps or duplicates",
    "[crash]") {
  switchboard::testing::temp_dir dir;
  acked_map acked;
  std::mt19937 rng(20261127);
  constexpr int cycles = 20;
  for (int cycle = 0; cycle < cycles; ++cycle) {
    int target = std::uniform_int_distribution<int>(1, 3000)(rng);
    run_and_kill(dir.str(), target, acked);

    auto s = store::open(store_options{dir.str(), durability::sync, {}});
    REQUIRE(s.has_value());
    for (int c = 0; c < conversations; ++c) {
      std::string conv = "conv" + std::to_string(c);
      auto last = (*s)->last_msg_id(conv);
      REQUIRE(last.has_value());
      INFO("cycle " << cycle << ", " << conv);
      REQUIRE(*last >= acked[conv]);
      std::uint64_t expect = 1;
      for (std::uint64_t after = 0;;) {
        auto pg = (*s)->read_after(conv, after, 200);
        REQUIRE(pg.has_value());
        for (auto& m : pg->messages) {
          REQUIRE(m.msg_id == expect);  // no gap, no duplicate, in order
          REQUIRE(m.body == conv + "#" + std::to_string(expect));
          ++expect;
        }
        if (!pg->has_more) break;
        after = pg->messages.back().msg_id;
      }
      REQUIRE(expect - 1 == *last);
      if (*last > 0) {
        auto k = (*s)->find_idempotent(conv, "u", "k" + std::to_string(*last));
        REQUIRE(k.has_value());
        REQUIRE(k->has_value());
        CHECK((*k)->msg_id == *last);
      }
    }
  }
}
