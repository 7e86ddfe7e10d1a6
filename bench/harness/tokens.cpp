#include "bench/harness/tokens.hpp"

#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <stdexcept>

#include "auth/jwt.hpp"
#include "common/clock.hpp"

namespace switchboard::bench {

namespace {

std::string run_token_command(const std::string& command,
                              const std::string& user) {
  std::string cmd = command;
  if (cmd.find("{user}") == std::string::npos) {
    cmd += " " + user;
  } else {
    for (auto at = cmd.find("{user}"); at != std::string::npos;
         at = cmd.find("{user}", at + user.size()))
      cmd.replace(at, 6, user);
  }
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("cannot run the token command: " + cmd);
  std::string out;
  char buf[1024];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = ::pclose(p);
  out = out.substr(0, out.find_first_of("\r\n"));
  if (status != 0 || out.empty())
    throw std::runtime_error(
        "the token command `" + cmd + "` " +
        (status != 0
             ? "failed (status " +
                   std::to_string(WIFEXITED(status) ? WEXITSTATUS(status)
                                                    : status) +
                   ")"
             : std::string("printed no token")));
  return out;
}

}  // namespace

std::string make_token(const options& o, const std::string& user) {
  if (!o.token_command.empty()) return run_token_command(o.token_command, user);
  auto now = common::unix_s();
  auth::claims c{user, now + 86400};
  c.iat = now;
  return auth::sign_token(o.jwt_secret, c);
}

}  // namespace switchboard::bench
