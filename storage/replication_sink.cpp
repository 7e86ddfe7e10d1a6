#include "storage/replication_sink.hpp"

#include "storage/keys.hpp"

namespace switchboard::storage {

namespace {

std::uint64_t read_be64(std::string_view b) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(b[i]);
  return v;
}

}  // namespace

std::string encode_position(const shard_position& p) {
  std::string v;
  v.reserve(16);
  keys::append_u64(v, static_cast<std::uint64_t>(p.epoch));
  keys::append_u64(v, p.seq);
  return v;
}

std::optional<shard_position> decode_position(std::string_view v) {
  if (v.size() != 16) return std::nullopt;
  return shard_position{static_cast<std::int64_t>(read_be64(v.substr(0, 8))),
                        read_be64(v.substr(8))};
}

std::string position_key(std::uint16_t shard) {
  std::string k;
  keys::append_shard(k, shard);
  return k;
}

}  // namespace switchboard::storage
