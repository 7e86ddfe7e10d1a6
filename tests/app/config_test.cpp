#include "app/config.hpp"

#include <catch2/catch.hpp>
#include <fstream>

#include "tests/support/temp_dir.hpp"

// The configuration's layers (docs/operations.md "Configuration"): the
// TOML file, then SWITCHBOARD_* variables over it, then flags over both;
// anything unknown or out of range is refused with the name of where it
// came from.
using namespace switchboard::app;
using switchboard::testing::temp_dir;

namespace {

std::string write_file(const temp_dir& d, const std::string& text) {
  auto path = (d.path() / "node.toml").string();
  std::ofstream(path) << text;
  return path;
}

// The exception's message of load_config(flags, env), or "" if none.
std::string refusal(const std::map<std::string, std::string>& flags,
                    const std::map<std::string, std::string>& env = {}) {
  try {
    load_config(flags, env);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return {};
}

}  // namespace

TEST_CASE("a flag wins over the environment, which wins over the file",
          "[app][config]") {
  temp_dir d;
  auto file = write_file(d,
                         "max_body = 1000\nnode_id = \"from-file\"\n"
                         "heartbeat_s = 20\n");
  auto c = load_config(
      {{"config", file}, {"max-body", "3000"}},
      {{"SWITCHBOARD_MAX_BODY", "2000"}, {"SWITCHBOARD_NODE_ID", "from-env"}});
  CHECK(c.lim.max_body == 3000);        // flag over env over file
  CHECK(c.node_id == "from-env");       // env over file
  CHECK(c.lim.heartbeat_s == 20);       // the file alone
  CHECK(c.listen == "127.0.0.1:7070");  // nobody: the default
  // The file named by the environment, when no flag names one.
  auto e = load_config({}, {{"SWITCHBOARD_CONFIG", file}});
  CHECK(e.lim.max_body == 1000);
}

TEST_CASE("the file's strings, integers and booleans set their options",
          "[app][config]") {
  temp_dir d;
  auto file = write_file(d,
                         "dev_login = true\nlisten = \"127.0.0.1:9000\"\n"
                         "shutdown_timeout_s = 3\n# a comment\n");
  auto c = load_config({{"config", file}}, {});
  CHECK(c.dev_login);
  CHECK(c.listen == "127.0.0.1:9000");
  CHECK(c.shutdown_timeout_s == 3);
}

TEST_CASE("the environment's names are the flags' in capitals",
          "[app][config]") {
  CHECK(env_name("max-body") == "SWITCHBOARD_MAX_BODY");
  CHECK(env_name("cursor-linger-ms") == "SWITCHBOARD_CURSOR_LINGER_MS");
  auto c = load_config({}, {{"SWITCHBOARD_CURSOR_LINGER_MS", "0"}});
  CHECK(c.lim.cursor_linger.count() == 0);
}

TEST_CASE("unknown or bad settings are refused, naming where they came from",
          "[app][config]") {
  CHECK(refusal({{"no-such-flag", "1"}}).find("--no-such-flag") !=
        std::string::npos);
  CHECK(
      refusal({}, {{"SWITCHBOARD_NO_SUCH", "1"}}).find("SWITCHBOARD_NO_SUCH") !=
      std::string::npos);
  CHECK(refusal({{"cursor-linger-ms", "1001"}}).find("--cursor-linger-ms") !=
        std::string::npos);
  CHECK(refusal({{"fanout-threshold", "many"}}).find("--fanout-threshold") !=
        std::string::npos);
  temp_dir d;
  auto file = write_file(d, "no_such_key = 1\n");
  CHECK(refusal({{"config", file}}).find("no_such_key") != std::string::npos);
  // A key is spelled with underscores, as TOML keys are.
  auto dashed = write_file(d, "\"max-body\" = 1\n");
  CHECK(refusal({{"config", dashed}}).find("unknown key") != std::string::npos);
  auto broken = write_file(d, "max_body = \n");
  auto why = refusal({{"config", broken}});
  CHECK(why.find("config file") != std::string::npos);
  CHECK(why.find("line 1") != std::string::npos);  // where, for the operator
  auto table = write_file(d, "[max_body]\nvalue = 1\n");
  CHECK(refusal({{"config", table}})
            .find("expected a string, number or "
                  "boolean") != std::string::npos);
  CHECK(refusal({{"config", (d.path() / "missing.toml").string()}}) != "");
}
