#pragma once

#include <string>
#include <vector>

#include "admin/client.hpp"

namespace switchboard::admin {

// One command of the admin shell, as typed.
struct outcome {
  bool ok = false;
  std::string text;  // what to print (plain, or the API's JSON with json)
};

// Runs one command line ("user alice", "tail c1 20", ...) against the node.
// With `json`, prints the API's JSON instead of the plain rendering.
outcome run_command(client& c, const std::string& line, bool json);

// The names of every command, for completion.
std::vector<std::string> command_names();

// Which kind of id the argument at position `arg` (0-based) of `command`
// takes: "user", "conversation" or "" (none).
std::string argument_kind(const std::string& command, std::size_t arg);

// Splits a command line on blanks; "quoted words" stay together.
std::vector<std::string> split_words(const std::string& line);

}  // namespace switchboard::admin
