#include "actors/presence_policy.hpp"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "storage/store.hpp"

namespace switchboard::actors {

storage::result<std::vector<bool>> presence_visible(
    const storage::store& store, const std::string& viewer,
    const std::vector<std::string>& ids) {
  std::vector<bool> out(ids.size(), false);
  for (std::size_t i = 0; i < ids.size(); ++i) out[i] = ids[i] == viewer;
  auto mine = store.inbox(viewer);
  if (!mine) return mine.err();
  if (mine->empty()) return out;  // nobody shares anything with it
  std::vector<std::vector<std::string>> theirs(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] == viewer) continue;
    auto t = store.inbox(ids[i]);
    if (!t) return t.err();
    theirs[i] = std::move(*t);
  }
  // Every candidate may be checked here: two point reads each.
  auto candidates = shared_by_lists(viewer, *mine, ids, theirs, SIZE_MAX);
  for (std::size_t i = 0; i < ids.size(); ++i)
    for (auto& c : candidates[i]) {
      auto a = store.member(c, viewer);
      if (!a) return a.err();
      if (!*a) continue;
      auto b = store.member(c, ids[i]);
      if (!b) return b.err();
      if (*b) {
        out[i] = true;
        break;
      }
    }
  return out;
}

std::vector<std::vector<std::string>> shared_by_lists(
    const std::string& viewer, const std::vector<std::string>& mine,
    const std::vector<std::string>& ids,
    const std::vector<std::vector<std::string>>& theirs, std::size_t most) {
  std::unordered_set<std::string> convs(mine.begin(), mine.end());
  std::vector<std::vector<std::string>> out(ids.size());
  for (std::size_t i = 0; i < ids.size() && i < theirs.size(); ++i) {
    if (ids[i] == viewer) continue;
    for (auto& c : theirs[i]) {
      if (out[i].size() >= most) break;
      if (convs.count(c)) out[i].push_back(c);
    }
  }
  return out;
}

std::vector<bool> shown_by_members(
    const std::string& viewer, const std::vector<std::string>& ids,
    const std::vector<std::vector<std::string>>& candidates,
    const std::vector<conv_summary>& convs) {
  std::unordered_map<std::string, const conv_summary*> by_id;
  for (auto& s : convs) by_id.emplace(s.conv_id, &s);
  std::vector<bool> out(ids.size(), false);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] == viewer) {
      out[i] = true;
      continue;
    }
    if (i >= candidates.size()) continue;
    for (auto& c : candidates[i]) {
      auto it = by_id.find(c);
      if (it == by_id.end()) continue;  // not the viewer's, or gone
      auto& m = it->second->members;
      if (std::find(m.begin(), m.end(), ids[i]) != m.end()) {
        out[i] = true;
        break;
      }
    }
  }
  return out;
}

}  // namespace switchboard::actors
