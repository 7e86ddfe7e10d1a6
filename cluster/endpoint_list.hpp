#pragma once

#include <atomic>
#include <cstddef>
#include <utility>
#include <vector>

#include "cluster/endpoint.hpp"

namespace switchboard::cluster {

// The endpoints of one client and which of them answered last, so that the
// next call starts there instead of paying again for a dead one. Thread-safe:
// the list is fixed at construction, the preference an atomic. Internal to
// cluster/.
class endpoint_list {
 public:
  // Precondition: `endpoints` is not empty.
  explicit endpoint_list(std::vector<endpoint> endpoints,
                         std::size_t preferred = 0)
      : endpoints_(std::move(endpoints)),
        preferred_(preferred % endpoints_.size()) {}
  endpoint_list(const endpoint_list&) = delete;
  endpoint_list& operator=(const endpoint_list&) = delete;

  const std::vector<endpoint>& all() const noexcept { return endpoints_; }
  std::size_t preferred() const noexcept {
    return preferred_.load(std::memory_order_relaxed);
  }
  void prefer(std::size_t i) noexcept {
    preferred_.store(i, std::memory_order_relaxed);
  }

 private:
  std::vector<endpoint> endpoints_;
  std::atomic<std::size_t> preferred_;
};

}  // namespace switchboard::cluster
