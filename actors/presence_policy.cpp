#include "actors/presence_policy.hpp"

#include <unordered_set>

#include "storage/store.hpp"

namespace switchboard::actors {

storage::result<std::vector<bool>> presence_visible(
    const storage::store& store, const std::string& viewer,
    const std::vector<std::string>& ids) {
  std::vector<bool> out(ids.size(), false);
  auto mine = store.inbox(viewer);
  if (!mine) return mine.err();
  std::unordered_set<std::string> convs(mine->begin(), mine->end());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] == viewer) {
      out[i] = true;
      continue;
    }
    if (convs.empty()) continue;
    auto theirs = store.inbox(ids[i]);
    if (!theirs) return theirs.err();
    for (auto& c : *theirs)
      if (convs.count(c)) {
        out[i] = true;
        break;
      }
  }
  return out;
}

}  // namespace switchboard::actors
