#include "app/args.hpp"

#include <stdexcept>

// Hand-written, not CLI11 (Debian's libcli11-dev was tried): CLI11 2.1
// reads a word with one dash (`-h`, a user id `-bob`) as short options,
// lets `--` end the options, and takes the next word as the value of
// `--name=`, where an empty value is what operators write to turn a
// listener off. Each is a change an operator would notice, and this is all
// the node's flags need (tests/app/args_test.cpp pins it).
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
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0 || a == "--") {
      out.positional.push_back(a);
      continue;
    }
    std::string name = a.substr(2);
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    if (!known.count(name) && !switches.count(name))
      throw std::invalid_argument("unknown option --" + name);
    if (switches.count(name)) {
      out.options[name] = value.value_or("true");
      continue;
    }
    if (!value) {
      if (i + 1 >= argc)
        throw std::invalid_argument("--" + name + " needs a value");
      value = argv[++i];
    }
    out.options[name] = *value;
  }
  return out;
}

}  // namespace switchboard::app
