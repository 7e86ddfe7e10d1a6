#include "app/args.hpp"

#include <stdexcept>

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
