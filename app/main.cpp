#include <iostream>
#include <string>

#include "app/admin_cmd.hpp"
#include "app/serve.hpp"
#include "app/token_cmd.hpp"

namespace {

constexpr const char* usage =
    "usage: switchboard <command> [options]\n"
    "commands:\n"
    "  serve   run a node (switchboard serve --help)\n"
    "  token   print a client token (switchboard token --help)\n"
    "  admin   the operator shell (switchboard admin --help)\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << usage;
    return 2;
  }
  std::string cmd = argv[1];
  if (cmd == "serve") return switchboard::app::serve_main(argc, argv);
  if (cmd == "token") return switchboard::app::token_main(argc, argv);
  if (cmd == "admin") return switchboard::app::admin_main(argc, argv);
  if (cmd == "--help" || cmd == "help") {
    std::cout << usage;
    return 0;
  }
  std::cerr << "switchboard: unknown command '" << cmd << "'\n" << usage;
  return 2;
}
