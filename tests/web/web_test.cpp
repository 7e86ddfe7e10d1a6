// Runs the JavaScript tests (node --test) of the client library and of the
// browser page as Catch2 tests, so that CTest runs them with the rest.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

struct run_result {
  int status = -1;
  std::string output;
};

// Runs `file` with node's test runner against the built switchboard.
run_result node_test(const std::string& file) {
  std::string cmd = "cd '" WEB_TESTS_DIR "' && SB_BIN='" SWITCHBOARD_BIN
                    "' SB_SCREENSHOTS='" SCREENSHOTS_DIR
                    "' node --test --test-reporter=spec '" +
                    file + "' 2>&1";
  run_result r;
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

}  // namespace

TEST_CASE("the JavaScript client library, against a real node (Node.js)",
          "[web][js]") {
  auto r = node_test("client.test.mjs");
  INFO(r.output);
  REQUIRE(r.status == 0);
}

TEST_CASE("the browser page, in headless Chromium against a real node",
          "[web][browser]") {
  INFO("chromium and playwright-core are installed by scripts/deps.sh");
  auto r = node_test("page.test.mjs");
  INFO(r.output);
  REQUIRE(r.status == 0);
}
