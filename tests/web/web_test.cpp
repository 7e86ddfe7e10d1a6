// Runs the JavaScript tests (node --test) of the client library and of the
// browser page as Catch2 tests, so that CTest runs them with the rest.
#include <catch2/catch.hpp>
#include <string>

#include "tests/support/node_process.hpp"

namespace {

// Runs `file` with node's test runner against the built switchboard. A
// browser test can stay quiet for a while: allow minutes of silence.
switchboard::testing::command_result node_test(const std::string& file) {
  return switchboard::testing::run_command(
      {"node", "--test", "--test-reporter=spec",
       std::string(WEB_TESTS_DIR) + "/" + file},
      {std::string("SB_BIN=") + SWITCHBOARD_BIN,
       std::string("SB_SCREENSHOTS=") + SCREENSHOTS_DIR},
      300);
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
