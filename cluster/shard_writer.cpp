#include "cluster/shard_writer.hpp"

#include <algorithm>
#include <utility>

#include "cluster/placement.hpp"
#include "cluster/shard_refusal.hpp"

namespace switchboard::cluster {

namespace {

using state = shard_record::state_kind;
using detail::invalid;

error changed(std::uint32_t n, std::int64_t now, std::int64_t expected) {
  return {errc::conflict,
          "shard " + std::to_string(n) + " changed meanwhile: mod_revision " +
              std::to_string(now) + ", expected " + std::to_string(expected)};
}

}  // namespace

shard_writer::shard_writer(etcd_client& client, const cluster_keys& keys,
                           cluster_view& view, node_registration& self,
                           etcd_health& health, std::uint32_t replicas)
    : client_(client),
      keys_(keys),
      view_(view),
      self_(self),
      health_(health),
      replicas_(replicas) {}

std::vector<std::string> shard_writer::moved_first(std::vector<std::string> ids,
                                                   const std::string& first) {
  ids.erase(std::remove(ids.begin(), ids.end(), first), ids.end());
  ids.insert(ids.begin(), first);
  return ids;
}

error shard_writer::not_registered() const {
  return {errc::lease_not_found,
          "node " + self_.self().id +
              " is not registered under a valid lease: it claims nothing"};
}

result<std::size_t> shard_writer::claim_unowned() {
  if (!self_.lease_valid()) return not_registered();
  auto mine = view_.unowned_won_by(self_.self().id);
  std::size_t claimed = 0;
  for (std::size_t i = 0; i < mine.size(); i += max_txn_keys) {
    std::vector<std::uint32_t> chunk(
        mine.begin() + static_cast<std::ptrdiff_t>(i),
        mine.begin() + static_cast<std::ptrdiff_t>(
                           std::min(mine.size(), i + max_txn_keys)));
    auto together = claim_together(chunk);
    if (!together) return together.err();
    if (*together) {
      claimed += chunk.size();
      continue;
    }
    // Another node claimed one of them: claim the others one by one.
    if (chunk.size() == 1) continue;
    for (auto n : chunk) {
      auto one = claim_together({n});
      if (!one) return one.err();
      if (*one) ++claimed;
    }
  }
  return claimed;
}

result<bool> shard_writer::claim_together(
    const std::vector<std::uint32_t>& shards) {
  auto self = self_.self();
  auto registered = self_.key_revision();
  if (registered == 0) return not_registered();
  auto node_key = keys_.node(self.id);
  std::vector<compare> compares{
      compare::create_revision(node_key, compare::op::equal, registered)};
  std::vector<txn_op> puts;
  std::vector<shard_record> recs;
  auto live = view_.live_ids();
  for (auto n : shards) {
    shard_record rec;
    rec.owner = self.id;
    rec.epoch = 1;
    rec.state = state::owned;
    // Self won the shard, so it is first anyway unless the view changed
    // since. Only self is in sync: this node's data directory may hold the
    // shard already (a standalone node's that becomes a cluster), and the
    // others join once its leader has compared or copied their copies.
    rec.replicas = moved_first(place_replicas(n, live, replicas_), self.id);
    if (rec.replicas.size() > std::max<std::size_t>(replicas_, 1))
      rec.replicas.pop_back();
    rec.isr = {self.id};
    compares.push_back(
        compare::create_revision(keys_.shard(n), compare::op::equal, 0));
    puts.push_back(txn_op::put(keys_.shard(n), encode_shard(rec)));
    recs.push_back(std::move(rec));
  }
  auto txn = client_.txn(compares, puts, {txn_op::range(node_key)});
  health_.record(txn);
  if (!txn) return txn.err();
  if (txn->succeeded) {
    for (std::size_t i = 0; i < shards.size(); ++i) {
      recs[i].mod_revision = txn->header.revision;
      view_.put_shard(shards[i], std::move(recs[i]));
    }
    return true;
  }
  const auto& node =
      txn->responses.empty() ? std::vector<key_value>{} : txn->responses[0].kvs;
  if (node.empty() || node[0].create_revision != registered)
    return not_registered();
  return false;
}

result<shard_record> shard_writer::read_at(std::uint32_t n,
                                           std::int64_t expected) {
  if (n >= view_.shards())
    return invalid(n, "beyond the cluster's " + std::to_string(view_.shards()) +
                          " shards");
  auto rec = view_.shard(n);
  if (rec && rec->mod_revision == expected) return std::move(*rec);
  // The view may lag behind what the caller saw: ask etcd.
  auto read = read_now(n);
  if (!read) return read.err();
  if (read->mod_revision != expected)
    return changed(n, read->mod_revision, expected);
  return read;
}

result<shard_record> shard_writer::read_now(std::uint32_t n) {
  if (n >= view_.shards())
    return invalid(n, "beyond the cluster's " + std::to_string(view_.shards()) +
                          " shards");
  auto got = client_.range(keys_.shard(n));
  health_.record(got);
  if (!got) return got.err();
  if (got->kvs.empty()) return invalid(n, "no record (never claimed)");
  const auto& kv = got->kvs[0];
  auto read = decode_shard(kv.value);
  if (!read) return read.err();
  read->mod_revision = kv.mod_revision;
  view_.put_shard(n, *read);
  return read;
}

result<shard_record> shard_writer::replace(std::uint32_t n, shard_record next,
                                           std::int64_t expected,
                                           bool as_registered) {
  auto key = keys_.shard(n);
  std::vector<compare> compares{
      compare::mod_revision(key, compare::op::equal, expected)};
  std::vector<txn_op> reads{txn_op::range(key)};
  std::int64_t registered = 0;
  if (as_registered) {
    registered = self_.key_revision();
    if (registered == 0 || !self_.lease_valid()) return not_registered();
    auto node_key = keys_.node(self_.self().id);
    compares.push_back(
        compare::create_revision(node_key, compare::op::equal, registered));
    reads.push_back(txn_op::range(node_key));
  }
  auto txn =
      client_.txn(compares, {txn_op::put(key, encode_shard(next))}, reads);
  health_.record(txn);
  if (!txn) return txn.err();
  if (!txn->succeeded) {
    if (as_registered) {
      const auto& node = txn->responses.size() < 2 ? std::vector<key_value>{}
                                                   : txn->responses[1].kvs;
      if (node.empty() || node[0].create_revision != registered)
        return not_registered();
    }
    std::int64_t now = 0;
    if (!txn->responses.empty() && !txn->responses[0].kvs.empty()) {
      const auto& kv = txn->responses[0].kvs[0];
      now = kv.mod_revision;
      if (auto read = decode_shard(kv.value)) {
        read->mod_revision = kv.mod_revision;
        view_.put_shard(n, std::move(*read));
      }
    }
    return changed(n, now, expected);
  }
  next.mod_revision = txn->header.revision;
  view_.put_shard(n, next);
  return next;
}

result<shard_record> shard_writer::begin_move(std::uint32_t n,
                                              std::string_view target,
                                              std::int64_t expected) {
  auto rec = read_at(n, expected);
  if (!rec) return rec.err();
  if (rec->state != state::owned) return invalid(n, "already moving");
  if (target == rec->owner)
    return invalid(n, "already owned by " + std::string(target));
  if (!view_.live_node(target))
    return invalid(n, "target " + std::string(target) + " is not live");
  auto next = std::move(*rec);
  next.state = state::moving;
  next.target = std::string(target);
  return replace(n, std::move(next), expected);
}

result<shard_record> shard_writer::finish_move(std::uint32_t n,
                                               std::int64_t expected) {
  auto rec = read_at(n, expected);
  if (!rec) return rec.err();
  if (rec->state != state::moving) return invalid(n, "not moving");
  auto next = std::move(*rec);
  auto old = std::exchange(next.owner, std::exchange(next.target, {}));
  next.epoch += 1;  // a new leader: the fencing token grows
  next.state = state::owned;
  // The target takes the old owner's place (first) in both lists; the old
  // copy is deleted after the switch.
  for (auto* ids : {&next.replicas, &next.isr}) {
    ids->erase(std::remove(ids->begin(), ids->end(), old), ids->end());
    *ids = moved_first(std::move(*ids), next.owner);
  }
  return replace(n, std::move(next), expected);
}

result<shard_record> shard_writer::abort_move(std::uint32_t n,
                                              std::int64_t expected) {
  auto rec = read_at(n, expected);
  if (!rec) return rec.err();
  if (rec->state != state::moving) return invalid(n, "not moving");
  auto next = std::move(*rec);
  next.target.clear();
  next.state = state::owned;
  return replace(n, std::move(next), expected);
}

}  // namespace switchboard::cluster
