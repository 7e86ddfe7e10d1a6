#include "admin/commands.hpp"

#include <algorithm>
#include <catch2/catch.hpp>

#include "admin/command_table.hpp"

// The admin shell's command line (admin/commands.hpp): words and quotes,
// the table's argument counts and kinds, and what an unknown command is
// told. Nothing here reaches a node: each line is refused before a call.
using namespace switchboard::admin;

TEST_CASE("a command line splits on blanks, and quotes keep words together",
          "[admin][commands]") {
  CHECK(split_words("  tail  c1   20 ") ==
        std::vector<std::string>{"tail", "c1", "20"});
  CHECK(split_words(R"(kick alice "too many messages")") ==
        std::vector<std::string>{"kick", "alice", "too many messages"});
  CHECK(split_words(R"(user "")") == std::vector<std::string>{"user", ""});
  CHECK(split_words("").empty());
  CHECK(split_words(" \t ").empty());
}

TEST_CASE("a command with too few or too many words gets its usage",
          "[admin][commands]") {
  client c("127.0.0.1", 1, "token");  // never called
  auto r = run_command(c, "user", false);
  CHECK_FALSE(r.ok);
  CHECK(r.text == "usage: user USER");
  r = run_command(c, "tail c1 20 30", false);
  CHECK_FALSE(r.ok);
  CHECK(r.text.rfind("usage: tail CONV", 0) == 0);
  // An empty line is nothing to do, and fine.
  r = run_command(c, "   ", false);
  CHECK(r.ok);
  CHECK(r.text.empty());
}

TEST_CASE("an unknown command is named, with the nearest one when close",
          "[admin][commands]") {
  client c("127.0.0.1", 1, "token");
  auto r = run_command(c, "usr alice", false);
  CHECK_FALSE(r.ok);
  CHECK(r.text.find("unknown command 'usr'") != std::string::npos);
  CHECK(r.text.find("did you mean 'user'?") != std::string::npos);
  r = run_command(c, "frobnicate", false);
  CHECK(r.text.find("did you mean") == std::string::npos);
}

TEST_CASE("completion knows every command and what its arguments are",
          "[admin][commands]") {
  auto names = command_names();
  for (std::string n : {"status", "user", "conv", "tail", "kick", "nodes"})
    CHECK(std::find(names.begin(), names.end(), n) != names.end());
  CHECK(argument_kind("user", 0) == "user");
  CHECK(argument_kind("tail", 0) == "conversation");
  CHECK(argument_kind("tail", 1) == "");
  CHECK(argument_kind("no-such", 0) == "");
}

TEST_CASE("a path segment or query value is percent-encoded",
          "[admin][commands]") {
  using switchboard::admin::detail::encode;
  CHECK(encode("alice") == "alice");
  CHECK(encode("") == "");
  CHECK(encode("a-b_c.d~E9") == "a-b_c.d~E9");
  CHECK(encode("a b/c?d&e=f+g%h#") == "a%20b%2Fc%3Fd%26e%3Df%2Bg%25h%23");
  CHECK(encode("\xc3\xa9") == "%C3%A9");
}
