#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace switchboard::app {

// Hand-written, not CLI11 (Debian's libcli11-dev was tried): CLI11 2.1
// reads a word with one dash (`-h`, a user id `-bob`) as short options,
// lets `--` end the options, and takes the next word as the value of
// `--name=`, where an empty value is what operators write to turn a
// listener off. Each is a change an operator would notice, and this is all
// the node's flags need (tests/app/args_test.cpp pins it).
//
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
