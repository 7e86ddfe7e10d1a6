// The store's reads of the other kinds of data: conversations, members,
// inboxes, devices, last seen, the push outbox.
#include <rocksdb/db.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <random>

#include "common/clock.hpp"
#include "storage/keys.hpp"
#include "storage/store.hpp"
#include "storage/store_impl.hpp"

namespace switchboard::storage {

result<std::optional<conversation_meta>> store::conversation(
    std::string_view conv) const {
  auto v = impl_->get(column_family::conversations,
                      keys::key(impl_->shard(conv), conv));
  if (!v) return v.err();
  if (!*v) return std::optional<conversation_meta>();
  auto meta = decode_conversation_meta(**v);
  if (!meta) return meta.err();
  return std::optional<conversation_meta>(std::move(*meta));
}

result<std::optional<member_state>> store::member(std::string_view conv,
                                                  std::string_view user) const {
  auto v = impl_->get(column_family::members,
                      keys::key(impl_->shard(conv), conv, user));
  if (!v) return v.err();
  if (!*v) return std::optional<member_state>();
  auto st = decode_member_state(**v);
  if (!st) return st.err();
  return std::optional<member_state>(*st);
}

namespace {

// Calls f(second id, value) for every key of `cf` under [shard][first]:
// one seek, then the contiguous keys of that prefix.
template <class F>
status scan_second(rocksdb::Iterator& it, column_family cf, std::uint16_t shard,
                   std::string_view first, F&& f,
                   std::string_view second_after = {},
                   std::size_t limit = SIZE_MAX) {
  std::string prefix = keys::key(shard, first);
  // Keys order as their ids do, so (first, second_after) is where the ids
  // after second_after begin.
  it.Seek(second_after.empty() ? prefix
                               : keys::key(shard, first, second_after));
  for (std::size_t n = 0;
       n < limit && it.Valid() && starts_with(it.key(), prefix); it.Next()) {
    auto parts = keys::decode(cf, it.key().ToStringView());
    if (!parts || parts->ids.size() != 2)
      return error{errc::corruption, "malformed key"};
    if (!second_after.empty() && parts->ids[1] == second_after) continue;
    status st = f(parts->ids[1], it.value().ToStringView());
    if (!st) return st;
    ++n;
  }
  if (!it.status().ok()) return to_error(it.status());
  return ok;
}

}  // namespace

result<std::vector<member_entry>> store::members(std::string_view conv) const {
  std::vector<member_entry> out;
  auto it = impl_->iter(column_family::members);
  status st =
      scan_second(*it, column_family::members, impl_->shard(conv), conv,
                  [&](std::string_view user, std::string_view value) -> status {
                    auto m = decode_member_state(value);
                    if (!m) return m.err();
                    out.push_back(member_entry{std::string(user), *m});
                    return ok;
                  });
  if (!st) return st.err();
  return out;  // key order is user id order
}

result<std::vector<std::string>> store::inbox(std::string_view user) const {
  std::vector<std::string> out;
  auto it = impl_->iter(column_family::inbox);
  status st =
      scan_second(*it, column_family::inbox, impl_->shard(user), user,
                  [&](std::string_view conv, std::string_view) -> status {
                    out.emplace_back(conv);
                    return ok;
                  });
  if (!st) return st.err();
  return out;  // key order is conv id order
}

result<std::vector<std::string>> store::inbox_page(std::string_view user,
                                                   std::string_view after,
                                                   std::size_t limit) const {
  if (!after.empty() && !keys::valid_id(after))
    return error{errc::invalid_argument, "conv_id"};
  std::vector<std::string> out;
  auto it = impl_->iter(column_family::inbox);
  status st = scan_second(
      *it, column_family::inbox, impl_->shard(user), user,
      [&](std::string_view conv, std::string_view) -> status {
        out.emplace_back(conv);
        return ok;
      },
      after, limit);
  if (!st) return st.err();
  return out;
}

result<std::vector<device>> store::devices(std::string_view user) const {
  std::vector<device> out;
  auto it = impl_->iter(column_family::devices);
  status st =
      scan_second(*it, column_family::devices, impl_->shard(user), user,
                  [&](std::string_view, std::string_view value) -> status {
                    auto d = decode_device(value);
                    if (!d) return d.err();
                    out.push_back(std::move(*d));
                    return ok;
                  });
  if (!st) return st.err();
  return out;
}

result<std::optional<std::int64_t>> store::last_seen(
    std::string_view user) const {
  auto v =
      impl_->get(column_family::last_seen, keys::key(impl_->shard(user), user));
  if (!v) return v.err();
  if (!*v) return std::optional<std::int64_t>();
  if ((*v)->size() != 8) return error{errc::corruption, "last_seen record"};
  return std::optional<std::int64_t>(static_cast<std::int64_t>(read_be64(**v)));
}

result<std::vector<std::pair<std::string, std::int64_t>>> store::revocations()
    const {
  std::vector<std::pair<std::string, std::int64_t>> out;
  auto it = impl_->iter(column_family::revocations, false);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto parts =
        keys::decode(column_family::revocations, it->key().ToStringView());
    if (!parts || it->value().size() != 8)
      return error{errc::corruption, "revocation record"};
    out.emplace_back(
        std::move(parts->ids[0]),
        static_cast<std::int64_t>(read_be64(it->value().ToStringView())));
  }
  if (!it->status().ok()) return to_error(it->status());
  return out;
}

result<std::vector<push_entry>> store::push_jobs(std::size_t limit) const {
  std::vector<push_entry> out;
  auto it = impl_->iter(column_family::push_outbox, false);
  for (std::uint32_t sh = 0; sh < impl_->shards; ++sh) {
    auto r = keys::shard_range(column_family::push_outbox,
                               static_cast<std::uint16_t>(sh));
    std::size_t taken = 0;
    for (it->Seek(r.begin); it->Valid() && taken < limit &&
                            (r.end.empty() || it->key().compare(r.end) < 0);
         it->Next(), ++taken) {
      auto k =
          keys::decode(column_family::push_outbox, it->key().ToStringView());
      if (!k) return error{errc::corruption, "malformed push key"};
      auto job = decode_push_job(it->value().ToStringView());
      if (!job) return job.err();
      out.push_back(push_entry{k->number, std::move(*job)});
    }
    if (!it->status().ok()) return to_error(it->status());
  }
  std::sort(
      out.begin(), out.end(),
      [](const push_entry& a, const push_entry& b) { return a.seq < b.seq; });
  if (out.size() > limit) out.resize(limit);
  return out;
}

std::uint64_t store::next_push_seq() {
  // In a cluster a shard's outbox is written by its leader of the moment,
  // and a new leader's own count may be behind the old one's: a seq is the
  // time in microseconds (a new leader's follow the old one's, with clocks
  // within a second), above every seq this store has seen, with 8 bits of
  // this process's own at the bottom that every seq of it keeps (two
  // nodes' seqs differ unless their random bits meet in one microsecond).
  static const std::uint64_t salt = std::random_device{}() & 0xff;
  auto us = static_cast<std::uint64_t>(common::unix_us());
  auto cur = impl_->next_push_seq.load(std::memory_order_relaxed);
  for (;;) {
    auto seq = (std::max(cur, us << 8) & ~std::uint64_t{0xff}) | salt;
    if (seq < cur) seq += 0x100;
    if (impl_->next_push_seq.compare_exchange_weak(cur, seq + 1,
                                                   std::memory_order_relaxed))
      return seq;
  }
}

result<std::vector<std::string>> store::conversations(std::string_view prefix,
                                                      std::size_t limit) const {
  std::vector<std::string> out;
  auto it = impl_->iter(column_family::conversations, false);
  for (std::uint32_t sh = 0; sh < impl_->shards; ++sh) {
    auto start = keys::id_prefix_key(static_cast<std::uint16_t>(sh), prefix);
    std::size_t taken = 0;
    for (it->Seek(start);
         it->Valid() && taken < limit && starts_with(it->key(), start);
         it->Next(), ++taken) {
      auto k =
          keys::decode(column_family::conversations, it->key().ToStringView());
      if (!k) return error{errc::corruption, "malformed key"};
      out.push_back(std::move(k->ids[0]));
    }
    if (!it->status().ok()) return to_error(it->status());
  }
  std::sort(out.begin(), out.end());
  if (out.size() > limit) out.resize(limit);
  return out;
}

}  // namespace switchboard::storage
