#include "cluster/placement.hpp"

#include <algorithm>
#include <utility>

#include "storage/shard.hpp"

namespace switchboard::cluster {

std::uint64_t placement_weight(std::uint32_t shard, std::string_view node_id) {
  std::string input(node_id);
  input.push_back('/');
  input += std::to_string(shard);
  return storage::stable_hash(input);
}

std::string place_shard(std::uint32_t shard,
                        const std::vector<std::string>& nodes) {
  const std::string* best = nullptr;
  std::uint64_t best_weight = 0;
  for (auto& n : nodes) {
    auto w = placement_weight(shard, n);
    if (!best || w > best_weight || (w == best_weight && n < *best)) {
      best = &n;
      best_weight = w;
    }
  }
  return best ? *best : std::string();
}

std::vector<std::string> place_replicas(std::uint32_t shard,
                                        const std::vector<std::string>& nodes,
                                        std::size_t n) {
  std::vector<std::pair<std::uint64_t, const std::string*>> ranked;
  ranked.reserve(nodes.size());
  for (auto& node : nodes)
    ranked.emplace_back(placement_weight(shard, node), &node);
  // Highest weight first, then the smaller id: place_shard's order.
  std::sort(ranked.begin(), ranked.end(), [](const auto& x, const auto& y) {
    return x.first != y.first ? x.first > y.first : *x.second < *y.second;
  });
  std::vector<std::string> out;
  for (const auto& entry : ranked) {
    if (out.size() == n) break;
    // Equal ids have equal weights: a repeat is next to the first.
    if (!out.empty() && out.back() == *entry.second) continue;
    out.push_back(*entry.second);
  }
  return out;
}

std::vector<std::string> place_all(std::uint32_t shards,
                                   const std::vector<std::string>& nodes) {
  std::vector<std::string> out;
  out.reserve(shards);
  for (std::uint32_t s = 0; s < shards; ++s)
    out.push_back(place_shard(s, nodes));
  return out;
}

}  // namespace switchboard::cluster
