#include "app/args.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

// A subcommand's flags (app/args.hpp): `--name value`, `--name=value`,
// bare switches, positionals; anything unknown or without its value is
// refused, naming the flag.
using namespace switchboard::app;

namespace {

args parse(std::vector<std::string> words,
           const std::set<std::string>& known = {"listen", "node-id"},
           const std::set<std::string>& switches = {"help", "dev-login"}) {
  words.insert(words.begin(), {"switchboard", "serve"});
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  return parse_args(static_cast<int>(argv.size()), argv.data(), 2, known,
                    switches);
}

std::string refusal(std::vector<std::string> words) {
  try {
    parse(std::move(words));
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return {};
}

}  // namespace

TEST_CASE("flags take their value either way, and the last one wins",
          "[app][args]") {
  auto a = parse(
      {"--listen", "127.0.0.1:1", "--node-id=n2", "--listen", "127.0.0.1:2"});
  CHECK(a.get("listen") == "127.0.0.1:2");
  CHECK(a.get("node-id") == "n2");
  CHECK_FALSE(a.has("dev-login"));
  CHECK(a.positional.empty());
}

TEST_CASE("a switch stands alone, or takes a value after =", "[app][args]") {
  auto a = parse({"--dev-login", "alice"});
  CHECK(a.get("dev-login") == "true");
  CHECK(a.positional == std::vector<std::string>{"alice"});  // not its value
  CHECK(parse({"--dev-login=false"}).get("dev-login") == "false");
  CHECK(parse({"--help"}).has("help"));
}

TEST_CASE("an unknown flag or one without its value is refused by name",
          "[app][args]") {
  CHECK(refusal({"--no-such", "1"}) == "unknown option --no-such");
  CHECK(refusal({"--listen"}) == "--listen needs a value");
  CHECK(refusal({"--listen", "127.0.0.1:1"}).empty());
}

TEST_CASE("an empty value, a word with one dash and -- are what they say",
          "[app][args]") {
  // --name= is the empty value (a listener turned off), not the next word.
  auto a = parse({"--listen=", "--node-id", "n1"});
  CHECK(a.get("listen") == "");
  CHECK(a.get("node-id") == "n1");
  // One dash is not an option: a user id may start with it.
  CHECK(parse({"-bob"}).positional == std::vector<std::string>{"-bob"});
  CHECK(parse({"--"}).positional == std::vector<std::string>{"--"});
  // A value may start with a dash.
  CHECK(parse({"--node-id", "-n"}).get("node-id") == "-n");
}
