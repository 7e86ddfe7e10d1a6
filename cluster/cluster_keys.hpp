#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace switchboard::cluster {

// The names of a cluster's keys in etcd (docs/ARCHITECTURE.md "cluster/"), all
// under
// "/<cluster>/": `meta`, `nodes/<id>` and `shards/<n>` (n in decimal,
// without leading zeros). Plain values; thread-safe.
class cluster_keys {
 public:
  explicit cluster_keys(std::string_view cluster)
      : root_("/" + std::string(cluster) + "/") {}

  // "/<cluster>/": every key of the cluster begins with it.
  const std::string& root() const noexcept { return root_; }
  std::string meta() const { return root_ + "meta"; }
  std::string nodes() const { return root_ + "nodes/"; }
  std::string node(std::string_view id) const {
    return nodes() + std::string(id);
  }
  std::string shards() const { return root_ + "shards/"; }
  std::string shard(std::uint32_t n) const {
    return shards() + std::to_string(n);
  }

  // The node id of a key under nodes(); nothing for any other key.
  std::optional<std::string> node_id(std::string_view key) const {
    auto p = nodes();
    if (key.size() <= p.size() || key.substr(0, p.size()) != p)
      return std::nullopt;
    return std::string(key.substr(p.size()));
  }

  // The shard of a key under shards(); nothing for any other key or a
  // number that is not written as shard() writes it.
  std::optional<std::uint32_t> shard_number(std::string_view key) const {
    auto p = shards();
    if (key.size() <= p.size() || key.substr(0, p.size()) != p)
      return std::nullopt;
    auto digits = key.substr(p.size());
    if (digits.size() > 1 && digits[0] == '0') return std::nullopt;
    std::uint32_t n = 0;
    auto [end, ec] =
        std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (ec != std::errc() || end != digits.data() + digits.size())
      return std::nullopt;
    return n;
  }

 private:
  std::string root_;
};

}  // namespace switchboard::cluster
