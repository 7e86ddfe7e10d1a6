#include "app/descriptors.hpp"

#include <sys/resource.h>

#include <algorithm>

namespace switchboard::app {

descriptor_budget budget_descriptors(std::size_t store_files) {
  constexpr std::size_t margin = 128;  // WAL, LOG, MANIFEST, admin, eventfds
  constexpr rlim_t most = 1 << 20;     // RLIM_INFINITY is not a count
  descriptor_budget b;
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    if (rl.rlim_cur < rl.rlim_max) {
      rlimit raised = rl;
      raised.rlim_cur = std::min(rl.rlim_max, most);
      if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) rl = raised;
    }
    b.limit = static_cast<std::size_t>(std::min(rl.rlim_cur, most));
  } else {
    b.limit = 1024;
  }
  b.reserved = std::min(b.limit / 2, store_files + margin);
  b.connections = b.limit - b.reserved;
  return b;
}

}  // namespace switchboard::app
