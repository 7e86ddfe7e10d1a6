#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace switchboard::app {

// Command-line arguments of one subcommand: `--name value`, `--name=value`
// and bare `--flag` (for names listed as switches), plus positionals.
struct args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;  // name without "--"

  std::optional<std::string> get(const std::string& name) const;
  bool has(const std::string& name) const { return options.count(name) != 0; }
};

// Parses argv[first..]. Throws std::invalid_argument naming the offending
// option when it is not in `known` or lacks its value.
args parse_args(int argc, char** argv, int first,
                const std::set<std::string>& known,
                const std::set<std::string>& switches = {});

}  // namespace switchboard::app
