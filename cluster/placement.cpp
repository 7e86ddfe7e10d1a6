#include "cluster/placement.hpp"

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

std::vector<std::string> place_all(std::uint32_t shards,
                                   const std::vector<std::string>& nodes) {
  std::vector<std::string> out;
  out.reserve(shards);
  for (std::uint32_t s = 0; s < shards; ++s)
    out.push_back(place_shard(s, nodes));
  return out;
}

}  // namespace switchboard::cluster
