// Runs every fuzz target (fuzz/) for a few seconds over its committed
// corpus: a crash, a leak, undefined behaviour or a broken invariant on a
// seed, or on what the fuzzer reaches from the seeds in that time, fails
// the test. Found inputs go to a temporary directory, so the committed
// corpus never grows from a test run. Long runs: scripts/fuzz.sh.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/support/temp_dir.hpp"

using switchboard::testing::temp_dir;

namespace {

constexpr int seconds_per_target = 3;

std::string shell_quoted(const std::string& s) { return "'" + s + "'"; }

// Runs `target`_fuzz; returns its exit status, and its output in `log`.
int run_target(const std::string& target, std::string& log) {
  temp_dir dir;
  auto found = dir.path() / "found";
  std::filesystem::create_directory(found);
  auto log_file = (dir.path() / "log").string();
  std::string cmd =
      shell_quoted(std::string(FUZZ_BIN_DIR) + "/" + target + "_fuzz") +
      " -max_total_time=" + std::to_string(seconds_per_target) +
      " -artifact_prefix=" + shell_quoted(dir.str() + "/") + " " +
      shell_quoted(found.string()) + " " +
      shell_quoted(std::string(FUZZ_CORPUS_DIR) + "/" + target) + " > " +
      shell_quoted(log_file) + " 2>&1";
  int status = std::system(cmd.c_str());
  std::ifstream in(log_file);
  std::stringstream text;
  text << in.rdbuf();
  log = text.str();
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void require_clean_run(const std::string& target) {
  std::string log;
  int code = run_target(target, log);
  // Before the output is cut: a long run's recommended dictionary, printed
  // after DONE, can be longer than what is shown.
  bool done = log.find("DONE") != std::string::npos;
  // libFuzzer's findings come with a stack; the last lines say what.
  if (log.size() > 6000) log = "..." + log.substr(log.size() - 6000);
  INFO(log);
  REQUIRE(code == 0);
  CHECK(done);
}

}  // namespace

TEST_CASE("the frame fuzz target finds nothing over its corpus", "[fuzz]") {
  require_clean_run("frame");
}

TEST_CASE("the jwt fuzz target finds nothing over its corpus", "[fuzz]") {
  require_clean_run("jwt");
}

TEST_CASE("the http_request fuzz target finds nothing over its corpus",
          "[fuzz]") {
  require_clean_run("http_request");
}

TEST_CASE("the message_record fuzz target finds nothing over its corpus",
          "[fuzz]") {
  require_clean_run("message_record");
}

TEST_CASE("the records fuzz target finds nothing over its corpus", "[fuzz]") {
  require_clean_run("records");
}

TEST_CASE("the keys fuzz target finds nothing over its corpus", "[fuzz]") {
  require_clean_run("keys");
}

TEST_CASE("the etcd_json fuzz target finds nothing over its corpus", "[fuzz]") {
  require_clean_run("etcd_json");
}
