// Fuzzes the key decoders (storage/keys.hpp, storage/legacy_keys.hpp):
// byte 0 picks the column family, the rest is a key read from it. The
// encoding is canonical, so a key that decodes must be rebuilt exactly from
// its parts, lie in its shard's range, and have its first id as its
// prefix; a format-1 key that decodes must come back the same through
// format 1 and through format 2.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/invariant.hpp"
#include "storage/keys.hpp"
#include "storage/legacy_keys.hpp"

namespace {

namespace keys = switchboard::storage::keys;
namespace legacy_keys = switchboard::storage::legacy_keys;
using switchboard::fuzz::invariant;
using switchboard::storage::column_family;

std::string format_1(column_family cf, const keys::parts& p) {
  std::string k;
  for (const auto& id : p.ids) {
    k.push_back(static_cast<char>(id.size()));
    k.append(id);
  }
  if (keys::layout_of(cf).number) keys::append_u64(k, p.number);
  return k;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  if (size == 0) return 0;
  // Byte 0 is a family's tag (storage/column_family.hpp), as the seeds
  // write it; a tag of no family is read modulo the count.
  auto cf = switchboard::storage::family_of_tag(data[0]).value_or(
      static_cast<column_family>(data[0] %
                                 switchboard::storage::column_family_count));
  std::string_view key(reinterpret_cast<const char*>(data) + 1, size - 1);

  auto prefix = keys::prefix_size(key);
  invariant(prefix <= key.size(), "the prefix lies within the key");

  if (auto p = keys::decode(cf, key)) {
    invariant(keys::encode(cf, *p) == key, "a key is rebuilt from its parts");
    for (const auto& id : p->ids)
      invariant(keys::valid_id(id), "a decoded id is a valid id");
    auto r = keys::shard_range(cf, p->shard);
    invariant(key >= r.begin && (r.end.empty() || key < r.end),
              "a key lies in its shard's range");
    if (!p->ids.empty())
      invariant(prefix == keys::key(p->shard, p->ids[0]).size(),
                "the prefix is the shard and the first id");
    if (cf == column_family::messages)
      invariant(keys::message_id(key) == p->number,
                "message_id agrees with decode");
  }

  if (auto id = keys::message_id(key))
    invariant(prefix > 0 && key.size() == prefix + 8,
              "a message key is a prefix and 8 bytes");

  if (auto p = legacy_keys::decode(cf, key)) {
    invariant(format_1(cf, *p) == key, "a format-1 key is rebuilt");
    auto again = keys::decode(cf, keys::encode(cf, *p));
    invariant(again && *again == *p, "format 1 migrates to the same parts");
  }
  return 0;
}
