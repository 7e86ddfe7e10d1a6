#include <rocksdb/db.h>

#include <algorithm>
#include <set>

#include "storage/keys.hpp"
#include "storage/shard_journal.hpp"
#include "storage/store.hpp"
#include "storage/store_impl.hpp"
#include "storage/store_snapshot.hpp"

// The store's side of reconciling two copies of a shard (docs/cluster.md
// "Replicas, in-sync copies and failover"): its journal read, and the writes
// that bring another copy from the point where their logs part to this one's
// position.
namespace switchboard::storage {

namespace {

const rocksdb::Snapshot* raw(const store::snapshot* at) {
  return at ? at->at() : nullptr;
}

// The journal's entries of `shard` after `after`, raw, in seq order.
// `it`: an iterator of column_family::shard_log.
template <class Fn>
status each_entry(std::unique_ptr<rocksdb::Iterator> it, std::uint16_t shard,
                  std::uint64_t after, Fn fn) {
  auto from = journal_key(shard, after + 1);
  for (it->Seek(from); it->Valid(); it->Next()) {
    auto seq = journal_seq(shard, it->key().ToStringView());
    if (!seq) break;  // past the shard
    if (!fn(*seq, it->value().ToStringView())) break;
  }
  if (!it->status().ok()) return to_error(it->status());
  return ok;
}

error cannot_tell(std::string why) {
  return error{errc::invalid_argument, std::move(why)};
}

}  // namespace

bool store::shard_log_view::consistent() const {
  if (at.seq == 0) return journal.last == 0;
  return journal.last == at.seq && journal.epoch_at(at.seq) == at.epoch;
}

result<store::shard_log_view> store::shard_log_of(std::uint16_t shard,
                                                  const snapshot* at) const {
  shard_log_view v;
  auto it = impl_->iter(column_family::shard_log, false, raw(at));
  auto pos = position_key(shard);
  it->Seek(pos);
  if (it->Valid() && it->key().ToStringView() == pos) {
    if (auto p = decode_position(it->value().ToStringView())) v.at = *p;
    it->Next();
  }
  for (; it->Valid(); it->Next()) {
    auto seq = journal_seq(shard, it->key().ToStringView());
    if (!seq) break;
    // The epoch alone: the keys are read where they are needed.
    auto epoch = journal_epoch(it->value().ToStringView());
    if (!epoch)
      return error{errc::corruption, "a journal entry of shard " +
                                         std::to_string(shard) +
                                         " cannot be decoded"};
    auto& j = v.journal;
    // The journal is contiguous; a hole ends what it can tell.
    if (j.last != 0 && *seq != j.last + 1) {
      j = {};
    }
    if (j.last == 0) j.first = *seq;
    j.last = *seq;
    if (j.runs.empty() || j.runs.back().first != *epoch)
      j.runs.emplace_back(*epoch, *seq);
  }
  if (!it->status().ok()) return to_error(it->status());
  return v;
}

result<std::vector<journal_ref>> store::journal_keys_after(
    std::uint16_t shard, std::uint64_t after, const snapshot* at) const {
  std::set<journal_ref> keys;
  auto expect = after + 1;
  std::string why;
  auto st = each_entry(
      impl_->iter(column_family::shard_log, false, raw(at)), shard, after,
      [&](std::uint64_t seq, std::string_view v) {
        auto e = decode_journal(v);
        if (seq != expect)
          why = "the journal lacks group " + std::to_string(expect);
        else if (!e)
          why = "journal entry " + std::to_string(seq) + " cannot be decoded";
        else if (e->ranges)
          why = "group " + std::to_string(seq) + " deleted a range";
        if (!why.empty()) return false;
        for (auto& k : e->keys) keys.insert(std::move(k));
        ++expect;
        return true;
      });
  if (!st) return st.err();
  if (!why.empty()) return cannot_tell(why);
  return std::vector<journal_ref>(keys.begin(), keys.end());
}

result<store::shard_patch> store::patch_after(
    std::uint16_t shard, std::uint64_t common,
    const std::vector<journal_ref>& theirs, std::size_t max_bytes,
    const snapshot* at) const {
  auto view = shard_log_of(shard, at);
  if (!view) return view.err();
  if (!view->consistent())
    return cannot_tell("the journal of shard " + std::to_string(shard) +
                       " does not reach its position");
  if (common > view->at.seq)
    return cannot_tell("the common point is past this copy's position");
  auto mine = journal_keys_after(shard, common, at);
  if (!mine) return mine.err();
  std::set<journal_ref> keys(mine->begin(), mine->end());
  for (auto& k : theirs) {
    // Only the shard's own data: its position and journal are written
    // below, and a key of another shard is none of this patch's.
    if (k.key.size() < 2 || k.cf == column_family::shard_log ||
        !moves_with_shard(k.cf) ||
        ((static_cast<unsigned char>(k.key[0]) << 8) |
         static_cast<unsigned char>(k.key[1])) != shard)
      return cannot_tell("a key of the other copy is not of shard " +
                         std::to_string(shard));
    keys.insert(k);
  }
  shard_patch p;
  p.at = view->at;
  auto add = [&](column_family cf, std::string key,
                 std::optional<std::string> value, std::string range_end) {
    p.bytes += key.size() + (value ? value->size() : 0) + range_end.size();
    batch::op o{cf, std::move(key), std::move(value), 0};
    o.raw = true;
    o.range_end = std::move(range_end);
    p.ops.push_back(std::move(o));
  };
  // Its journal after the common point goes, and older entries than this
  // copy keeps: the other copy's journal becomes this one's.
  add(column_family::shard_log, journal_key(shard, common + 1), std::nullopt,
      journal_key(shard, ~std::uint64_t{0}));
  auto keep = std::max<std::uint64_t>(impl_->options.journal_groups, 1);
  if (p.at.seq >= keep)
    add(column_family::shard_log, journal_key(shard, 0), std::nullopt,
        journal_key(shard, p.at.seq - keep + 1));
  rocksdb::ReadOptions ro;
  ro.snapshot = raw(at);
  for (auto& k : keys) {
    if (k.cf == column_family::shard_log) continue;  // the position, below
    std::string value;
    auto s = impl_->db->Get(ro, impl_->cf(k.cf), k.key, &value);
    if (!s.ok() && !s.IsNotFound()) return to_error(s);
    add(k.cf, k.key,
        s.IsNotFound() ? std::nullopt : std::optional<std::string>(value), {});
    ++p.keys;
    if (p.bytes > max_bytes)
      return cannot_tell("the patch would pass " + std::to_string(max_bytes) +
                         " bytes");
  }
  auto st =
      each_entry(impl_->iter(column_family::shard_log, false, raw(at)), shard,
                 common, [&](std::uint64_t seq, std::string_view v) {
                   add(column_family::shard_log, journal_key(shard, seq),
                       std::string(v), {});
                   return true;
                 });
  if (!st) return st.err();
  add(column_family::shard_log, position_key(shard), encode_position(p.at), {});
  if (p.bytes > max_bytes)
    return cannot_tell("the patch would pass " + std::to_string(max_bytes) +
                       " bytes");
  return p;
}

}  // namespace switchboard::storage
