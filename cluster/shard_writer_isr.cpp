// Replication's changes of the shard map (docs/cluster.md "Replicas, in-sync
// copies and failover"): the replicas and ISR of a shard, failover and graceful
// change of leader.
#include <algorithm>
#include <utility>

#include "cluster/shard_refusal.hpp"
#include "cluster/shard_writer.hpp"

namespace switchboard::cluster {

namespace {

using state = shard_record::state_kind;
using detail::invalid;

std::string node_named(std::string_view node) {
  return "node " + std::string(node);
}

void erase(std::vector<std::string>& ids, std::string_view node) {
  ids.erase(std::remove(ids.begin(), ids.end(), node), ids.end());
}

}  // namespace

result<shard_record> shard_writer::shrink_isr(std::uint32_t n,
                                              std::string_view node,
                                              std::int64_t expected) {
  auto rec = read_at(n, expected);
  if (!rec) return rec.err();
  if (node == rec->owner)
    return invalid(n, node_named(node) + " is the owner: it stays in the isr");
  if (!in_isr(*rec, node))
    return invalid(n, node_named(node) + " is not in the isr");
  auto next = std::move(*rec);
  erase(next.isr, node);
  return replace(n, std::move(next), expected);
}

result<shard_record> shard_writer::expand_isr(std::uint32_t n,
                                              std::string_view node,
                                              std::int64_t expected) {
  auto rec = read_at(n, expected);
  if (!rec) return rec.err();
  if (!is_replica(*rec, node))
    return invalid(n, node_named(node) + " is not a replica");
  if (in_isr(*rec, node))
    return invalid(n, node_named(node) + " is in the isr already");
  if (!view_.live_node(node))
    return invalid(n, node_named(node) + " is not live");
  auto next = std::move(*rec);
  next.isr.emplace_back(node);
  return replace(n, std::move(next), expected);
}

result<shard_record> shard_writer::add_replica(std::uint32_t n,
                                               std::string_view node,
                                               std::int64_t expected) {
  auto rec = read_at(n, expected);
  if (!rec) return rec.err();
  if (is_replica(*rec, node))
    return invalid(n, node_named(node) + " is a replica already");
  if (!view_.live_node(node))
    return invalid(n, node_named(node) + " is not live");
  if (rec->replicas.size() >= cluster_meta::max_replicas)
    return invalid(n, "has " + std::to_string(rec->replicas.size()) +
                          " replicas, the most a shard has");
  auto next = std::move(*rec);
  next.replicas.emplace_back(node);
  return replace(n, std::move(next), expected);
}

result<shard_record> shard_writer::remove_replica(std::uint32_t n,
                                                  std::string_view node,
                                                  std::int64_t expected) {
  auto rec = read_at(n, expected);
  if (!rec) return rec.err();
  if (node == rec->owner)
    return invalid(n, node_named(node) + " is the owner: it stays a replica");
  if (!is_replica(*rec, node))
    return invalid(n, node_named(node) + " is not a replica");
  auto next = std::move(*rec);
  erase(next.replicas, node);
  erase(next.isr, node);
  return replace(n, std::move(next), expected);
}

result<shard_record> shard_writer::take_over(std::uint32_t n,
                                             std::int64_t expected) {
  auto self = self_.self().id;
  auto rec = read_at(n, expected);
  if (!rec) return rec.err();
  if (rec->state != state::owned)
    return invalid(n, "moving: finish or abort the move first");
  if (!in_isr(*rec, self))
    return invalid(n, node_named(self) + " is not in the isr");
  if (view_.live_node(rec->owner))
    return invalid(n, "its owner " + rec->owner + " is live");
  auto next = std::move(*rec);
  next.owner = self;
  next.epoch += 1;  // a new leader: the fencing token grows
  // Only self is known to hold every acknowledged write: the others
  // rejoin once reconciled to its log.
  next.isr = {self};
  next.replicas = moved_first(std::move(next.replicas), self);
  return replace(n, std::move(next), expected, true);
}

result<shard_record> shard_writer::resume(std::uint32_t n,
                                          std::int64_t expected) {
  auto self = self_.self().id;
  auto rec = read_at(n, expected);
  if (!rec) return rec.err();
  if (rec->owner != self) return invalid(n, "owned by " + rec->owner);
  if (rec->state != state::owned)
    return invalid(n, "moving: finish or abort the move first");
  auto next = std::move(*rec);
  next.epoch += 1;
  return replace(n, std::move(next), expected, true);
}

result<shard_record> shard_writer::transfer(std::uint32_t n,
                                            std::string_view target,
                                            std::int64_t expected) {
  auto rec = read_at(n, expected);
  if (!rec) return rec.err();
  if (rec->state != state::owned)
    return invalid(n, "moving: finish or abort the move first");
  if (target == rec->owner)
    return invalid(n, "already owned by " + std::string(target));
  if (!in_isr(*rec, target))
    return invalid(n, node_named(target) + " is not in the isr");
  if (!view_.live_node(target))
    return invalid(n, node_named(target) + " is not live");
  auto next = std::move(*rec);
  next.owner = std::string(target);
  next.epoch += 1;
  next.isr = moved_first(std::move(next.isr), next.owner);
  next.replicas = moved_first(std::move(next.replicas), next.owner);
  return replace(n, std::move(next), expected);
}

}  // namespace switchboard::cluster
