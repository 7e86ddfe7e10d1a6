#include "cluster/shard_writer.hpp"

#include <algorithm>
#include <utility>

namespace switchboard::cluster {

namespace {

using state = shard_record::state_kind;

error invalid(std::uint32_t n, std::string_view why) {
  return {errc::invalid_argument,
          "shard " + std::to_string(n) + ": " + std::string(why)};
}

error changed(std::uint32_t n, std::int64_t now, std::int64_t expected) {
  return {errc::conflict,
          "shard " + std::to_string(n) + " changed meanwhile: mod_revision " +
              std::to_string(now) + ", expected " + std::to_string(expected)};
}

}  // namespace

shard_writer::shard_writer(etcd_client& client, const cluster_keys& keys,
                           cluster_view& view, node_registration& self,
                           etcd_health& health)
    : client_(client), keys_(keys), view_(view), self_(self), health_(health) {}

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
  shard_record rec;
  rec.owner = self.id;
  rec.epoch = 1;
  rec.state = state::owned;
  auto value = encode_shard(rec);
  for (auto n : shards) {
    compares.push_back(
        compare::create_revision(keys_.shard(n), compare::op::equal, 0));
    puts.push_back(txn_op::put(keys_.shard(n), value));
  }
  auto txn = client_.txn(compares, puts, {txn_op::range(node_key)});
  health_.record(txn);
  if (!txn) return txn.err();
  if (txn->succeeded) {
    rec.mod_revision = txn->header.revision;
    for (auto n : shards) view_.put_shard(n, rec);
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
  auto got = client_.range(keys_.shard(n));
  health_.record(got);
  if (!got) return got.err();
  if (got->kvs.empty()) return invalid(n, "no record (never claimed)");
  const auto& kv = got->kvs[0];
  auto read = decode_shard(kv.value);
  if (!read) return read.err();
  read->mod_revision = kv.mod_revision;
  view_.put_shard(n, *read);
  if (kv.mod_revision != expected) return changed(n, kv.mod_revision, expected);
  return read;
}

result<shard_record> shard_writer::replace(std::uint32_t n, shard_record next,
                                           std::int64_t expected) {
  auto key = keys_.shard(n);
  auto txn =
      client_.txn({compare::mod_revision(key, compare::op::equal, expected)},
                  {txn_op::put(key, encode_shard(next))}, {txn_op::range(key)});
  health_.record(txn);
  if (!txn) return txn.err();
  if (!txn->succeeded) {
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
  next.owner = std::exchange(next.target, {});
  next.epoch += 1;  // a new leader: the fencing token grows
  next.state = state::owned;
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
