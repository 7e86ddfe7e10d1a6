#include "cluster/cluster_view.hpp"

#include <algorithm>

#include "cluster/placement.hpp"

namespace switchboard::cluster {

cluster_view::cluster_view(cluster_keys keys, std::uint32_t shards,
                           log_callback log)
    : keys_(std::move(keys)),
      shards_(shards),
      log_(std::move(log)),
      shard_slots_(shards) {}

void cluster_view::reload(const std::vector<key_value>& kvs,
                          std::int64_t revision) {
  std::lock_guard<std::mutex> lock(mutex_);
  nodes_.clear();
  shard_slots_.assign(shards_, shard_slot{});
  floor_ = 0;
  for (const auto& kv : kvs) (void)take(kv.key, &kv.value, kv.mod_revision);
  // Everything read is true at `revision`: a change reported later with a
  // lower revision (an own txn's answer that raced the load) is older, also
  // for a key the load found absent.
  floor_ = revision;
}

bool cluster_view::apply(const std::vector<watch_event>& events) {
  std::lock_guard<std::mutex> lock(mutex_);
  bool touched = false;
  for (const auto& e : events) {
    const std::string* value =
        e.what == watch_event::kind::put ? &e.kv.value : nullptr;
    (void)take(e.kv.key, value, e.kv.mod_revision);  // false: had it
    touched |= keys_.node_id(e.kv.key) || keys_.shard_number(e.kv.key);
  }
  return touched;
}

void cluster_view::put_shard(std::uint32_t n, shard_record rec) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (n >= shards_) return;
  auto& slot = shard_slots_[n];
  if (rec.mod_revision <= std::max(slot.revision, floor_)) return;
  slot.revision = rec.mod_revision;
  slot.rec = std::move(rec);
}

void cluster_view::put_node(node_record rec, std::int64_t mod_revision) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& slot = nodes_[rec.id];
  if (mod_revision <= std::max(slot.revision, floor_)) return;
  slot.revision = mod_revision;
  slot.rec = std::move(rec);
}

bool cluster_view::take(const std::string& key, const std::string* value,
                        std::int64_t revision) {
  if (auto id = keys_.node_id(key)) {
    auto& slot = nodes_[*id];
    if (revision <= std::max(slot.revision, floor_)) return false;
    slot.revision = revision;
    slot.rec.reset();
    if (value) {
      auto rec = decode_node(*value);
      if (!rec)
        log_to(log_, "error", "bad_node_record",
               key + ": " + rec.err().message);
      else if (rec->id != *id)
        log_to(log_, "error", "bad_node_record",
               key + ": holds the record of node " + rec->id);
      else
        slot.rec = std::move(*rec);
    }
    return true;
  }
  if (auto n = keys_.shard_number(key)) {
    if (*n >= shards_) {
      log_to(log_, "warn", "bad_shard_key",
             key + ": beyond the cluster's " + std::to_string(shards_) +
                 " shards");
      return false;
    }
    auto& slot = shard_slots_[*n];
    if (revision <= std::max(slot.revision, floor_)) return false;
    slot.revision = revision;
    slot.rec.reset();
    if (value) {
      auto rec = decode_shard(*value);
      if (!rec) {
        log_to(log_, "error", "bad_shard_record",
               key + ": " + rec.err().message);
      } else {
        rec->mod_revision = revision;
        slot.rec = std::move(*rec);
      }
    }
    return true;
  }
  return false;  // meta, or a key of no known kind
}

std::vector<node_record> cluster_view::live_nodes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<node_record> out;
  for (const auto& [id, slot] : nodes_)  // a std::map: sorted by id
    if (slot.rec) out.push_back(*slot.rec);
  return out;
}

std::vector<std::string> cluster_view::live_ids() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return live_ids_locked();
}

std::vector<std::string> cluster_view::live_ids_locked() const {
  std::vector<std::string> out;
  for (const auto& [id, slot] : nodes_)
    if (slot.rec) out.push_back(id);
  return out;
}

std::optional<node_record> cluster_view::live_node(std::string_view id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = nodes_.find(id);
  if (it == nodes_.end()) return std::nullopt;
  return it->second.rec;
}

std::optional<shard_record> cluster_view::shard(std::uint32_t n) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (n >= shards_) return std::nullopt;
  return shard_slots_[n].rec;
}

std::vector<std::optional<shard_record>> cluster_view::shard_map() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::optional<shard_record>> out;
  out.reserve(shard_slots_.size());
  for (const auto& slot : shard_slots_) out.push_back(slot.rec);
  return out;
}

std::vector<std::uint32_t> cluster_view::unowned_won_by(
    std::string_view self) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto ids = live_ids_locked();
  std::vector<std::uint32_t> out;
  for (std::uint32_t n = 0; n < shards_; ++n)
    if (!shard_slots_[n].rec && place_shard(n, ids) == self) out.push_back(n);
  return out;
}

std::vector<std::pair<std::uint32_t, std::string>> cluster_view::planned_moves()
    const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto ids = live_ids_locked();
  std::vector<std::pair<std::uint32_t, std::string>> out;
  for (std::uint32_t n = 0; n < shards_; ++n) {
    const auto& rec = shard_slots_[n].rec;
    if (!rec || rec->state != shard_record::state_kind::owned) continue;
    // A dead owner's shard waits for it (docs/cluster.md "When things fail"):
    // moving it would need its data.
    if (!std::binary_search(ids.begin(), ids.end(), rec->owner)) continue;
    auto winner = place_shard(n, ids);
    if (winner != rec->owner) out.emplace_back(n, std::move(winner));
  }
  return out;
}

std::vector<copy_move> cluster_view::planned_copy_moves(
    std::size_t replicas) const {
  std::vector<copy_move> out;
  if (replicas <= 1) return out;
  std::lock_guard<std::mutex> lock(mutex_);
  auto ids = live_ids_locked();
  auto live = [&](const std::string& id) {
    return std::binary_search(ids.begin(), ids.end(), id);
  };
  for (std::uint32_t n = 0; n < shards_; ++n) {
    const auto& rec = shard_slots_[n].rec;
    if (!rec || rec->state != shard_record::state_kind::owned ||
        !live(rec->owner))
      continue;
    auto want = place_replicas(n, ids, replicas);
    auto wanted = [&](const std::string& id) {
      return std::find(want.begin(), want.end(), id) != want.end();
    };
    std::vector<std::string> adds, removes;
    for (auto& w : want)
      if (!is_replica(*rec, w)) adds.push_back(w);
    for (int dead = 1; dead >= 0; --dead)
      for (auto& r : rec->replicas)
        if (r != rec->owner && !wanted(r) && live(r) != bool(dead))
          removes.push_back(r);
    // A removal alone only while the shard keeps the copies it wants.
    auto copies = rec->replicas.size();
    for (std::size_t i = 0; i < std::max(adds.size(), removes.size()); ++i) {
      copy_move m;
      m.shard = n;
      if (i < adds.size()) m.add = adds[i];
      if (i < removes.size()) m.remove = removes[i];
      if (m.add.empty() && copies <= replicas) break;
      if (m.add.empty()) --copies;
      if (m.remove.empty()) ++copies;
      out.push_back(std::move(m));
    }
  }
  return out;
}

}  // namespace switchboard::cluster
