#include "storage/keys.hpp"

namespace switchboard::storage::keys {

bool valid_id(std::string_view id) noexcept {
  return !id.empty() && id.size() <= max_id_size;
}

void append_component(std::string& out, std::string_view id) {
  out.push_back(static_cast<char>(static_cast<unsigned char>(id.size())));
  out.append(id);
}

void append_u64(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xff));
}

std::string message_key(std::string_view conv, std::uint64_t msg_id) {
  std::string k;
  k.reserve(1 + conv.size() + 8);
  append_component(k, conv);
  append_u64(k, msg_id);
  return k;
}

std::optional<std::uint64_t> message_id(std::string_view key) noexcept {
  auto prefix = first_component_size(key);
  if (prefix == 0 || key.size() != prefix + 8) return std::nullopt;
  std::uint64_t v = 0;
  for (std::size_t i = prefix; i < key.size(); ++i)
    v = (v << 8) | static_cast<unsigned char>(key[i]);
  return v;
}

std::string component_key(std::string_view a) {
  std::string k;
  append_component(k, a);
  return k;
}

std::string component_key(std::string_view a, std::string_view b) {
  std::string k;
  k.reserve(2 + a.size() + b.size());
  append_component(k, a);
  append_component(k, b);
  return k;
}

std::string component_key(std::string_view a, std::string_view b,
                          std::string_view c) {
  std::string k;
  k.reserve(3 + a.size() + b.size() + c.size());
  append_component(k, a);
  append_component(k, b);
  append_component(k, c);
  return k;
}

std::optional<std::vector<std::string_view>> split(std::string_view key) {
  std::vector<std::string_view> parts;
  while (!key.empty()) {
    std::size_t n = static_cast<unsigned char>(key[0]);
    if (key.size() < 1 + n) return std::nullopt;
    parts.push_back(key.substr(1, n));
    key.remove_prefix(1 + n);
  }
  return parts;
}

std::size_t first_component_size(std::string_view key) noexcept {
  if (key.empty()) return 0;
  std::size_t n = 1 + static_cast<unsigned char>(key[0]);
  return key.size() >= n ? n : 0;
}

}  // namespace switchboard::storage::keys
