// Fuzzes the cereal record decoders (storage/records.hpp). The first byte
// picks the kind of record, the rest is a value read from its column
// family. A record that decodes must encode to one that decodes to the
// same fields.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/invariant.hpp"
#include "storage/records.hpp"

namespace {

namespace storage = switchboard::storage;
using switchboard::fuzz::invariant;

bool same(const storage::conversation_meta& a,
          const storage::conversation_meta& b) {
  return a.kind == b.kind && a.title == b.title && a.creator == b.creator &&
         a.created_ms == b.created_ms;
}

bool same(const storage::member_state& a, const storage::member_state& b) {
  return a.delivered_upto == b.delivered_upto && a.read_upto == b.read_upto &&
         a.joined_ms == b.joined_ms;
}

bool same(const storage::device& a, const storage::device& b) {
  return a.platform == b.platform && a.token == b.token &&
         a.registered_ms == b.registered_ms;
}

bool same(const storage::push_job& a, const storage::push_job& b) {
  return a.user_id == b.user_id && a.conv_id == b.conv_id &&
         a.msg_id == b.msg_id && a.sender == b.sender &&
         a.preview == b.preview && a.created_ms == b.created_ms &&
         a.attempts == b.attempts;
}

template <class T, class Decode>
void check(std::string_view bytes, Decode decode) {
  storage::result<T> v = decode(bytes);
  if (!v) {
    invariant(v.err().code == storage::errc::corruption,
              "a bad record is corruption");
    return;
  }
  auto again = decode(storage::encode(*v));
  invariant(again.has_value() && same(*again, *v), "a record round-trips");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  if (size == 0) return 0;
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      check<storage::conversation_meta>(bytes,
                                        storage::decode_conversation_meta);
      break;
    case 1:
      check<storage::member_state>(bytes, storage::decode_member_state);
      break;
    case 2:
      check<storage::device>(bytes, storage::decode_device);
      break;
    case 3:
      check<storage::push_job>(bytes, storage::decode_push_job);
      break;
  }
  return 0;
}
