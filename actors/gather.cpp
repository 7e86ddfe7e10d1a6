#include "actors/gather.hpp"

#include <algorithm>

namespace switchboard::actors {

id_groups group_by_owner(const directory& dir,
                         const std::vector<std::string>& ids) {
  using kind = directory::shard_route::kind;
  id_groups g;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto r = dir.route_of(ids[i]);
    if (r.what == kind::local) {
      g.here.push_back(i);
    } else if (r.what == kind::remote) {
      auto it =
          std::find_if(g.elsewhere.begin(), g.elsewhere.end(),
                       [&](const auto& e) { return e.first == r.registry; });
      if (it == g.elsewhere.end())
        it = g.elsewhere.insert(g.elsewhere.end(), {r.registry, {}});
      it->second.push_back(i);
    } else if (g.err.ok()) {
      g.err = proto_error{proto_code::unavailable, r.reason, r.retry_after_ms};
    }
  }
  return g;
}

}  // namespace switchboard::actors
