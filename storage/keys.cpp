#include "storage/keys.hpp"

namespace switchboard::storage::keys {

namespace {

constexpr char esc = '\x00';
constexpr char escaped_zero = '\xff';
constexpr char terminator = '\x01';

std::uint64_t read_u64(std::string_view b) noexcept {
  std::uint64_t v = 0;
  for (char c : b) v = (v << 8) | static_cast<unsigned char>(c);
  return v;
}

// Length of the encoded id at the start of `b`, terminator included, or 0
// when it is malformed or unterminated.
std::size_t encoded_id_size(std::string_view b) noexcept {
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (b[i] != esc) continue;
    if (i + 1 >= b.size()) return 0;
    if (b[i + 1] == terminator) return i + 2;
    if (b[i + 1] != escaped_zero) return 0;
    ++i;
  }
  return 0;
}

// Decodes the id at the start of `b` and removes it; nullopt when
// malformed or not a valid id.
std::optional<std::string> take_id(std::string_view& b) {
  std::size_t n = encoded_id_size(b);
  if (n == 0) return std::nullopt;
  std::string id;
  id.reserve(n - 2);
  for (std::size_t i = 0; i + 2 < n; ++i) {
    id.push_back(b[i]);
    if (b[i] == esc) ++i;  // skip the 0xFF of an escaped zero
  }
  b.remove_prefix(n);
  if (!valid_id(id)) return std::nullopt;
  return id;
}

}  // namespace

bool valid_id(std::string_view id) noexcept {
  return !id.empty() && id.size() <= max_id_size;
}

void append_shard(std::string& out, std::uint16_t shard) {
  out.push_back(static_cast<char>(shard >> 8));
  out.push_back(static_cast<char>(shard & 0xff));
}

void append_id(std::string& out, std::string_view id) {
  for (char c : id) {
    out.push_back(c);
    if (c == esc) out.push_back(escaped_zero);
  }
  out.push_back(esc);
  out.push_back(terminator);
}

void append_u64(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xff));
}

layout layout_of(column_family cf) noexcept {
  switch (cf) {
    case column_family::messages:
      return {1, true};
    case column_family::conversations:
    case column_family::last_seen:
    case column_family::revocations:
      return {1, false};
    case column_family::members:
    case column_family::inbox:
    case column_family::devices:
      return {2, false};
    case column_family::idempotency:
      return {3, false};
    case column_family::push_outbox:
      return {0, true};
    case column_family::shard_log:
      return {0, false};
    case column_family::count_:
      break;
  }
  return {};
}

std::string encode(column_family cf, const parts& p) {
  std::string k;
  append_shard(k, p.shard);
  for (const auto& id : p.ids) append_id(k, id);
  if (layout_of(cf).number) append_u64(k, p.number);
  return k;
}

std::optional<parts> decode(column_family cf, std::string_view key) {
  auto l = layout_of(cf);
  if (key.size() < shard_size) return std::nullopt;
  parts p;
  p.shard = static_cast<std::uint16_t>(read_u64(key.substr(0, shard_size)));
  key.remove_prefix(shard_size);
  for (std::size_t i = 0; i < l.ids; ++i) {
    auto id = take_id(key);
    if (!id) return std::nullopt;
    p.ids.push_back(std::move(*id));
  }
  if (l.number) {
    if (key.size() != 8) return std::nullopt;
    p.number = read_u64(key);
  } else if (!key.empty()) {
    return std::nullopt;
  }
  return p;
}

std::string key(std::uint16_t shard, std::string_view a) {
  std::string k;
  k.reserve(shard_size + a.size() + 2);
  append_shard(k, shard);
  append_id(k, a);
  return k;
}

std::string key(std::uint16_t shard, std::string_view a, std::string_view b) {
  std::string k;
  k.reserve(shard_size + a.size() + b.size() + 4);
  append_shard(k, shard);
  append_id(k, a);
  append_id(k, b);
  return k;
}

std::string key(std::uint16_t shard, std::string_view a, std::string_view b,
                std::string_view c) {
  std::string k;
  k.reserve(shard_size + a.size() + b.size() + c.size() + 6);
  append_shard(k, shard);
  append_id(k, a);
  append_id(k, b);
  append_id(k, c);
  return k;
}

std::string message_key(std::uint16_t shard, std::string_view conv,
                        std::uint64_t msg_id) {
  std::string k;
  k.reserve(shard_size + conv.size() + 2 + 8);
  append_shard(k, shard);
  append_id(k, conv);
  append_u64(k, msg_id);
  return k;
}

std::string seq_key(std::uint16_t shard, std::uint64_t seq) {
  std::string k;
  k.reserve(shard_size + 8);
  append_shard(k, shard);
  append_u64(k, seq);
  return k;
}

std::optional<std::uint64_t> message_id(std::string_view key) noexcept {
  auto prefix = prefix_size(key);
  if (prefix == 0 || key.size() != prefix + 8) return std::nullopt;
  return read_u64(key.substr(prefix));
}

std::size_t prefix_size(std::string_view key) noexcept {
  if (key.size() < shard_size) return 0;
  std::size_t n = encoded_id_size(key.substr(shard_size));
  return n == 0 ? 0 : shard_size + n;
}

range shard_range(column_family, std::uint16_t shard) {
  range r;
  append_shard(r.begin, shard);
  if (shard != 0xffff)
    append_shard(r.end, static_cast<std::uint16_t>(shard + 1));
  return r;
}

std::string id_prefix_key(std::uint16_t shard, std::string_view id_prefix) {
  std::string k;
  append_shard(k, shard);
  for (char c : id_prefix) {
    k.push_back(c);
    if (c == esc) k.push_back(escaped_zero);
  }
  return k;
}

}  // namespace switchboard::storage::keys
