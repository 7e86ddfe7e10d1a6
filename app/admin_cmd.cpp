#include "app/admin_cmd.hpp"

#include <editline/readline.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "admin/client.hpp"
#include "admin/commands.hpp"

namespace switchboard::app {

namespace {

constexpr const char* usage =
    "usage: switchboard admin [--node HOST:PORT] [--token T] [--data-dir DIR]\n"
    "                         [-c \"COMMAND\"] [--json]\n"
    "The operator shell of a node. Without -c it reads commands interactively\n"
    "(with history and tab completion) or, when stdin is not a terminal, one\n"
    "per line. The admin token comes from --token, SWITCHBOARD_ADMIN_TOKEN, "
    "or\n"
    "DATA_DIR/admin_token (default ./data). 'help' lists the commands.\n";

admin::client* completing = nullptr;  // for the completion callbacks
std::vector<std::string> candidates;

char* next_candidate(const char* text, int state) {
  static std::size_t i;
  if (state == 0) i = 0;
  std::string prefix(text);
  while (i < candidates.size()) {
    auto& c = candidates[i++];
    if (c.compare(0, prefix.size(), prefix) == 0) return strdup(c.c_str());
  }
  return nullptr;
}

// Ids the node knows, for completion: online users or conversation ids.
std::vector<std::string> fetch_ids(const std::string& kind,
                                   const std::string& prefix) {
  std::string target = kind == "user" ? "/admin/v1/users?prefix="
                                      : "/admin/v1/conversations?prefix=";
  auto r = completing->call("GET", target + prefix);
  std::vector<std::string> out;
  if (r.status != 200) return out;
  boost::system::error_code ec;
  auto v = boost::json::parse(r.body, ec);
  if (ec || !v.is_object()) return out;
  auto* list =
      v.as_object().if_contains(kind == "user" ? "users" : "conversations");
  if (!list || !list->is_array()) return out;
  for (auto& id : list->as_array())
    if (id.is_string()) out.emplace_back(id.as_string());
  return out;
}

char** complete(const char* text, int start, int /*end*/) {
  rl_attempted_completion_over = 1;  // no file-name completion
  auto words = admin::split_words(
      std::string(rl_line_buffer, static_cast<std::size_t>(start)));
  if (words.empty()) {
    candidates = admin::command_names();
  } else {
    auto kind = admin::argument_kind(words[0], words.size() - 1);
    if (kind.empty()) return nullptr;
    candidates = fetch_ids(kind, text);
  }
  return rl_completion_matches(text, next_candidate);
}

std::string home_history() {
  const char* home = std::getenv("HOME");
  return home ? std::string(home) + "/.switchboard_history" : std::string();
}

int interactive(admin::client& c, bool json) {
  completing = &c;
  rl_attempted_completion_function = complete;
  auto history = home_history();
  if (!history.empty()) read_history(history.c_str());
  int last = 0;
  for (;;) {
    char* raw = readline("switchboard> ");
    if (!raw) break;  // end of input
    std::string line(raw);
    free(raw);
    auto words = admin::split_words(line);
    if (words.empty()) continue;
    add_history(line.c_str());
    if (words[0] == "quit" || words[0] == "exit") break;
    auto out = admin::run_command(c, line, json);
    (out.ok ? std::cout : std::cerr)
        << out.text
        << (out.text.empty() || out.text.back() == '\n' ? "" : "\n");
    std::cout.flush();
    last = out.ok ? 0 : 1;
  }
  if (!history.empty()) write_history(history.c_str());
  return last;
}

// Commands from a pipe: plain output, no prompt; the status of the last.
int scripted(admin::client& c, bool json) {
  int status = 0;
  std::string line;
  while (std::getline(std::cin, line)) {
    auto words = admin::split_words(line);
    if (words.empty()) continue;
    if (words[0] == "quit" || words[0] == "exit") break;
    auto out = admin::run_command(c, line, json);
    (out.ok ? std::cout : std::cerr)
        << out.text
        << (out.text.empty() || out.text.back() == '\n' ? "" : "\n");
    status = out.ok ? 0 : 1;
  }
  return status;
}

std::string read_file_line(const std::string& path) {
  std::ifstream in(path);
  std::string s;
  std::getline(in, s);
  return s;
}

}  // namespace

int admin_main(int argc, char** argv) {
  std::string node, token, data_dir = "./data", command;
  bool json = false, have_command = false;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= argc) {
        std::cerr << "switchboard admin: " << a << " needs a value\n" << usage;
        std::exit(2);
      }
      out = argv[++i];
    };
    if (a == "--node")
      value(node);
    else if (a == "--token")
      value(token);
    else if (a == "--data-dir")
      value(data_dir);
    else if (a == "-c")
      value(command), have_command = true;
    else if (a == "--json")
      json = true;
    else if (a == "--help") {
      std::cout << usage;
      return 0;
    } else {
      std::cerr << "switchboard admin: unknown option " << a << "\n" << usage;
      return 2;
    }
  }
  if (node.empty()) {
    const char* env = std::getenv("SWITCHBOARD_ADMIN_LISTEN");
    node = env && *env ? env : "127.0.0.1:7071";
  }
  if (token.empty()) {
    const char* env = std::getenv("SWITCHBOARD_ADMIN_TOKEN");
    token = env && *env ? env : read_file_line(data_dir + "/admin_token");
  }
  if (token.empty()) {
    std::cerr << "switchboard admin: no admin token: give --token, "
                 "SWITCHBOARD_ADMIN_TOKEN, "
                 "or the node's --data-dir\n";
    return 2;
  }
  auto colon = node.rfind(':');
  int port = 0;
  try {
    port = colon == std::string::npos ? 0 : std::stoi(node.substr(colon + 1));
  } catch (const std::exception&) {
    port = 0;
  }
  if (port <= 0 || port > 65535) {
    std::cerr << "switchboard admin: --node must be HOST:PORT, got '" << node
              << "'\n";
    return 2;
  }
  admin::client c(node.substr(0, colon), static_cast<std::uint16_t>(port),
                  token);
  if (have_command) {
    auto out = admin::run_command(c, command, json);
    (out.ok ? std::cout : std::cerr)
        << out.text
        << (out.text.empty() || out.text.back() == '\n' ? "" : "\n");
    return out.ok ? 0 : 1;
  }
  return ::isatty(STDIN_FILENO) ? interactive(c, json) : scripted(c, json);
}

}  // namespace switchboard::app
