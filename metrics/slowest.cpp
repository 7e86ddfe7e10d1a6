#include "metrics/slowest.hpp"

#include <algorithm>

namespace switchboard::metrics {

void slowest::note(const std::string& conv, double seconds) {
  if (seconds <= floor_.load(std::memory_order_relaxed)) return;
  std::lock_guard<std::mutex> l(m_);
  auto it = std::find_if(top_.begin(), top_.end(),
                         [&](const auto& e) { return e.first == conv; });
  if (it != top_.end()) {
    it->second = std::max(it->second, seconds);
  } else if (top_.size() < kept) {
    top_.emplace_back(conv, seconds);
  } else {
    auto fastest = std::min_element(
        top_.begin(), top_.end(),
        [](const auto& a, const auto& b) { return a.second < b.second; });
    if (fastest->second >= seconds) return;
    *fastest = {conv, seconds};
  }
  if (top_.size() == kept)
    floor_.store(std::min_element(top_.begin(), top_.end(),
                                  [](const auto& a, const auto& b) {
                                    return a.second < b.second;
                                  })
                     ->second,
                 std::memory_order_relaxed);
}

std::vector<std::pair<std::string, double>> slowest::take() {
  std::vector<std::pair<std::string, double>> out;
  {
    std::lock_guard<std::mutex> l(m_);
    out.swap(top_);
    floor_.store(0, std::memory_order_relaxed);
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.second > b.second; });
  return out;
}

}  // namespace switchboard::metrics
