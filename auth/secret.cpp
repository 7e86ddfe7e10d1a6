#include "auth/secret.hpp"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace switchboard::auth {

std::string random_hex(std::size_t n) {
  std::string raw(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()),
                 static_cast<int>(n)) != 1)
    throw std::runtime_error("no randomness available");
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (unsigned char c : raw) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

namespace {

std::string read_secret(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  std::string s(256, '\0');
  auto n = ::read(fd, s.data(), s.size());
  ::close(fd);
  if (n <= 0) return {};
  s.resize(static_cast<std::size_t>(n));
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

}  // namespace

void make_private_dir(const std::string& dir) {
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) return;
  auto parent = std::filesystem::path(dir).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    throw std::runtime_error("cannot create " + dir + ": " +
                             std::strerror(errno));
}

std::string load_or_create_secret(const std::string& configured,
                                  const std::string& data_dir,
                                  const std::string& file_name) {
  if (!configured.empty()) return configured;
  make_private_dir(data_dir);
  std::string path = data_dir + "/" + file_name;
  if (auto s = read_secret(path); !s.empty()) return s;
  std::string secret = random_hex(32);
  // O_EXCL: if another process creates it first, use theirs.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      if (auto s = read_secret(path); !s.empty()) return s;
    }
    throw std::runtime_error("cannot create " + path + ": " +
                             std::strerror(errno));
  }
  std::string line = secret + "\n";
  bool ok = ::write(fd, line.data(), line.size()) ==
                static_cast<ssize_t>(line.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) throw std::runtime_error("cannot write " + path);
  return secret;
}

}  // namespace switchboard::auth
