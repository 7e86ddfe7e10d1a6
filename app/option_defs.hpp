#pragma once

#include <functional>
#include <string>
#include <vector>

#include "app/config.hpp"

namespace switchboard::app {

// One option of `serve`: its flag name (the environment variable and TOML
// key derive from it), help, and how it reads and sets the config.
struct option_def {
  const char* name;
  const char* help;
  std::function<std::string(const config&)> get;
  std::function<void(config&, const std::string&)> set;  // throws
                                                         // invalid_argument
};

// Every option but --config, in --help order.
const std::vector<option_def>& option_defs();

// The options of the cluster (cluster_options.cpp), appended to `d`.
void add_cluster_options(std::vector<option_def>& d);
// push_options.cpp
void add_push_options(std::vector<option_def>& d);

// `v` as an integer in min..max; throws std::invalid_argument saying what
// was expected.
long long parse_int(const std::string& v, long long min, long long max);
// `v` as true or false; throws std::invalid_argument otherwise.
bool parse_bool(const std::string& v);
// An option that is a boolean of the config, "true" or "false".
option_def bool_option(const char* name, const char* help, bool config::*field);

}  // namespace switchboard::app
