#pragma once

#include <atomic>
#include <cstddef>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace switchboard::metrics {

// The slowest sends since the last take(), one entry per conversation, for
// the admin shell's `top`. A send no slower than the slowest kept's
// fastest costs one atomic load, so that the hot path does not take a lock
// once the list is full. Thread-safe.
class slowest {
 public:
  static constexpr std::size_t kept = 5;
  void note(const std::string& conv, double seconds);
  // The slowest since the last call, slowest first; starts a new window.
  std::vector<std::pair<std::string, double>> take();

 private:
  std::mutex m_;
  std::vector<std::pair<std::string, double>> top_;  // under m_
  std::atomic<double> floor_{0};  // top_'s fastest once it is full
};

}  // namespace switchboard::metrics
