// A conversation's log: the store's reads of the messages column family
// and of idempotency keys.
#include <rocksdb/db.h>

#include <algorithm>
#include <limits>

#include "storage/keys.hpp"
#include "storage/store.hpp"
#include "storage/store_impl.hpp"

namespace switchboard::storage {

result<std::uint64_t> store::last_msg_id(std::string_view conv) const {
  if (!keys::valid_id(conv)) return error{errc::invalid_argument, "conv_id"};
  auto it = impl_->iter(column_family::messages);
  it->SeekForPrev(keys::message_key(impl_->shard(conv), conv,
                                    std::numeric_limits<std::uint64_t>::max()));
  if (!it->status().ok()) return to_error(it->status());
  if (!it->Valid()) return std::uint64_t{0};
  auto id = keys::message_id(it->key().ToStringView());
  if (!id) return error{errc::corruption, "malformed message key"};
  return *id;
}

namespace {

// Reads up to `limit` messages of the conversation whose keys start with
// `prefix` ([shard][conv]) from where `it` stands, moving it forward or
// backward; one extra step tells has_more.
result<page> collect(rocksdb::Iterator& it, const std::string& prefix,
                     std::size_t limit, bool forward) {
  page pg;
  for (; it.Valid() && starts_with(it.key(), prefix);
       forward ? it.Next() : it.Prev()) {
    if (pg.messages.size() == limit) {
      pg.has_more = true;
      break;
    }
    auto id = keys::message_id(it.key().ToStringView());
    if (!id) return error{errc::corruption, "malformed message key"};
    auto m = decode_message(*id, it.value().ToStringView());
    if (!m) return m.err();
    pg.messages.push_back(std::move(*m));
  }
  if (!it.status().ok()) return to_error(it.status());
  return pg;
}

}  // namespace

result<page> store::read_after(std::string_view conv, std::uint64_t after,
                               std::size_t limit) const {
  if (!keys::valid_id(conv)) return error{errc::invalid_argument, "conv_id"};
  if (limit == 0)
    return error{errc::invalid_argument, "limit must be positive"};
  if (after == std::numeric_limits<std::uint64_t>::max()) return page{};
  auto it = impl_->iter(column_family::messages);
  auto shard = impl_->shard(conv);
  it->Seek(keys::message_key(shard, conv, after + 1));
  return collect(*it, keys::key(shard, conv), limit, true);
}

result<page> store::read_before(std::string_view conv, std::uint64_t before,
                                std::size_t limit) const {
  if (!keys::valid_id(conv)) return error{errc::invalid_argument, "conv_id"};
  if (limit == 0)
    return error{errc::invalid_argument, "limit must be positive"};
  if (before <= 1) return page{};
  auto it = impl_->iter(column_family::messages);
  auto shard = impl_->shard(conv);
  it->SeekForPrev(keys::message_key(shard, conv, before - 1));
  return collect(*it, keys::key(shard, conv), limit, false);
}

result<page> store::read_newest(std::string_view conv,
                                std::size_t limit) const {
  return read_before(conv, std::numeric_limits<std::uint64_t>::max(), limit);
}

result<std::uint64_t> store::count_from_others(std::string_view conv,
                                               std::uint64_t after,
                                               std::string_view user,
                                               std::uint64_t max_scan) const {
  if (!keys::valid_id(conv)) return error{errc::invalid_argument, "conv_id"};
  std::uint64_t n = 0;
  if (after == std::numeric_limits<std::uint64_t>::max()) return n;
  auto shard = impl_->shard(conv);
  std::string prefix = keys::key(shard, conv);
  auto it = impl_->iter(column_family::messages);
  std::uint64_t scanned = 0, last_scanned = after;
  for (it->Seek(keys::message_key(shard, conv, after + 1));
       it->Valid() && starts_with(it->key(), prefix); it->Next()) {
    auto id = keys::message_id(it->key().ToStringView());
    if (!id) return error{errc::corruption, "malformed message key"};
    if (scanned == max_scan) {
      // The rest count whoever sent them: ids are gap-free, so they are
      // the last id minus the last one read.
      auto last = last_msg_id(conv);
      if (!last) return last.err();
      return n + (*last > last_scanned ? *last - last_scanned : 0);
    }
    auto m = decode_message(*id, it->value().ToStringView());
    if (!m) return m.err();
    if (m->sender != user) ++n;
    ++scanned;
    last_scanned = *id;
  }
  if (!it->status().ok()) return to_error(it->status());
  return n;
}

result<std::optional<store::idempotent_hit>> store::find_idempotent(
    std::string_view conv, std::string_view sender,
    std::string_view client_msg_id) const {
  auto v =
      impl_->get(column_family::idempotency,
                 keys::key(impl_->shard(conv), conv, sender, client_msg_id));
  if (!v) return v.err();
  if (!*v) return std::optional<idempotent_hit>();
  // [msg_id be64][ts_ms be64], or [msg_id be64] as first written.
  const auto& s = **v;
  if (s.size() != 8 && s.size() != 16)
    return error{errc::corruption, "idempotency record"};
  idempotent_hit hit;
  hit.msg_id = read_be64(s);
  if (s.size() == 16)
    hit.ts_ms =
        static_cast<std::int64_t>(read_be64(std::string_view(s).substr(8)));
  return std::optional<idempotent_hit>(hit);
}

store::probe store::probe_idempotent(std::string_view conv,
                                     std::string_view sender,
                                     std::string_view client_msg_id) const {
  rocksdb::ReadOptions ro;
  ro.read_tier = rocksdb::kBlockCacheTier;  // Incomplete rather than I/O
  rocksdb::PinnableSlice value;
  auto s = impl_->db->Get(
      ro, impl_->cf(column_family::idempotency),
      keys::key(impl_->shard(conv), conv, sender, client_msg_id), &value);
  if (s.IsNotFound()) return probe::absent;
  if (s.ok()) return probe::present;
  return probe::unknown;
}

result<std::uint32_t> store::unread_among(
    const std::string& user, const std::vector<std::string>& convs) const {
  std::uint32_t n = 0;
  for (auto& c : convs) {
    auto last = last_msg_id(c);
    if (!last) return last.err();
    auto me = member(c, user);
    if (!me) return me.err();
    if (*me && (*me)->read_upto < *last) ++n;
  }
  return n;
}

}  // namespace switchboard::storage
