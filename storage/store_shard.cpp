#include <rocksdb/db.h>

#include "storage/keys.hpp"
#include "storage/store.hpp"
#include "storage/store_impl.hpp"
#include "storage/store_snapshot.hpp"

// The store's side of a shard's move (docs/ARCHITECTURE.md "cluster/"): its
// keys read in pages, in the store's own format, to be written as they are into
// the new owner's store (batch::put_raw) and erased here afterwards
// (batch::erase_shard).
namespace switchboard::storage {

std::shared_ptr<const store::snapshot> store::take_snapshot() const {
  return std::make_shared<const snapshot>(impl_->db.get());
}

result<store::shard_page> store::read_shard(std::uint16_t shard,
                                            column_family cf,
                                            std::string_view after,
                                            std::size_t max_bytes,
                                            const snapshot* at) const {
  auto r = keys::shard_range(cf, shard);
  shard_page page;
  auto it = impl_->iter(cf, false, at ? at->at() : nullptr);
  if (after.empty()) {
    it->Seek(r.begin);
  } else {
    it->Seek(rocksdb::Slice(after.data(), after.size()));
    if (it->Valid() && it->key().ToStringView() == after) it->Next();
  }
  std::size_t bytes = 0;
  for (; it->Valid(); it->Next()) {
    auto k = it->key().ToStringView();
    if (!r.end.empty() && k >= std::string_view(r.end)) break;
    if (k.compare(0, r.begin.size(), r.begin) != 0 && r.end.empty()) break;
    if (bytes >= max_bytes && !page.kvs.empty()) {
      page.more = true;
      break;
    }
    bytes += k.size() + it->value().size();
    page.kvs.emplace_back(std::string(k), it->value().ToString());
  }
  if (!it->status().ok()) return to_error(it->status());
  return page;
}

void store::set_replication(replication_sink* sink) noexcept {
  impl_->writer->set_sink(sink);
}

result<std::vector<std::pair<std::uint16_t, shard_position>>> store::positions()
    const {
  std::vector<std::pair<std::uint16_t, shard_position>> out;
  auto it = impl_->iter(column_family::shard_log, false);
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto k = it->key().ToStringView();
    auto p = decode_position(it->value().ToStringView());
    if (k.size() != 2 || !p) continue;
    out.emplace_back(
        static_cast<std::uint16_t>((static_cast<unsigned char>(k[0]) << 8) |
                                   static_cast<unsigned char>(k[1])),
        *p);
  }
  if (!it->status().ok()) return to_error(it->status());
  return out;
}

}  // namespace switchboard::storage
