#include "tests/support/temp_dir.hpp"

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace switchboard::testing {

temp_dir::temp_dir() {
  std::string tmpl =
      (std::filesystem::temp_directory_path() / "switchboard-test-XXXXXX")
          .string();
  if (::mkdtemp(tmpl.data()) == nullptr)
    throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace switchboard::testing
