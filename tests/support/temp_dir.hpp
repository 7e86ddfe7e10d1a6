#pragma once

#include <filesystem>

namespace switchboard::testing {

// A fresh directory under the system's temp directory, removed with its
// contents when this object dies. Each test gets its own, so tests can run
// in parallel.
class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::filesystem::path& path() const noexcept { return path_; }
  std::string str() const { return path_.string(); }
  const std::string& str_ref() const { return path_.native(); }

 private:
  std::filesystem::path path_;
};

}  // namespace switchboard::testing
