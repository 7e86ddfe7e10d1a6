#include "actors/presence_policy.hpp"

#include <unordered_set>

#include "storage/store.hpp"

namespace switchboard::actors {

storage::result<std::vector<bool>> presence_visible(
    const storage::store& store, const std::string& viewer,
    const std::vector<std::string>& ids) {
  auto mine = store.inbox(viewer);
  if (!mine) return mine.err();
  std::vector<std::vector<std::string>> theirs(ids.size());
  if (!mine->empty())  // nobody shares anything with a viewer of none
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (ids[i] == viewer) continue;
      auto t = store.inbox(ids[i]);
      if (!t) return t.err();
      theirs[i] = std::move(*t);
    }
  return shares_conversation(viewer, *mine, ids, theirs);
}

std::vector<bool> shares_conversation(
    const std::string& viewer, const std::vector<std::string>& mine,
    const std::vector<std::string>& ids,
    const std::vector<std::vector<std::string>>& theirs) {
  std::unordered_set<std::string> convs(mine.begin(), mine.end());
  std::vector<bool> out(ids.size(), false);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] == viewer) {
      out[i] = true;
      continue;
    }
    if (i >= theirs.size()) continue;
    for (auto& c : theirs[i])
      if (convs.count(c)) {
        out[i] = true;
        break;
      }
  }
  return out;
}

}  // namespace switchboard::actors
