#include "app/args.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <stdexcept>

// The flags are parsed by CLI11 (Debian's libcli11-dev). The node's own
// layers (TOML file < environment < flag, app/config.cpp) and its help
// text stay ours: they name where a bad value came from, which CLI11's
// own environment and config support would not. Only this file includes
// CLI11 (a large header).
namespace switchboard::app {

std::optional<std::string> args::get(const std::string& name) const {
  auto it = options.find(name);
  if (it == options.end()) return std::nullopt;
  return it->second;
}

args parse_args(int argc, char** argv, int first,
                const std::set<std::string>& known,
                const std::set<std::string>& switches) {
  args out;
  CLI::App app;
  app.set_help_flag();  // --help is the caller's switch, when it lists one
  app.allow_windows_style_options(false);
  for (const auto& name : known) {
    if (switches.count(name)) continue;
    app.add_option_function<std::string>(
           "--" + name,
           [&out, name](const std::string& v) { out.options[name] = v; })
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  }
  // A bare switch is "true"; --name=value gives its value.
  std::map<std::string, std::string> flags;
  for (const auto& name : switches)
    app.add_flag("--" + name + "{true}", flags[name]);
  app.add_option("positional", out.positional);
  std::vector<std::string> words(argv + first, argv + argc);
  std::reverse(words.begin(), words.end());  // CLI11 takes them backwards
  try {
    app.parse(words);
  } catch (const CLI::ExtrasError& e) {
    std::string what = e.what();
    auto dashes = what.find("--");
    throw std::invalid_argument(
        "unknown option " +
        (dashes == std::string::npos ? what : what.substr(dashes)));
  } catch (const CLI::ArgumentMismatch& e) {
    std::string what = e.what();
    throw std::invalid_argument(what.substr(0, what.find(':')) +
                                " needs a value");
  } catch (const CLI::ParseError& e) {
    throw std::invalid_argument(e.what());
  }
  for (auto& [name, value] : flags)
    if (app.count("--" + name) != 0) out.options[name] = value;
  return out;
}

}  // namespace switchboard::app
