#include "storage/legacy_keys.hpp"

#include <string>

namespace switchboard::storage::legacy_keys {

std::optional<keys::parts> decode(column_family cf, std::string_view key) {
  auto l = keys::layout_of(cf);
  keys::parts p;
  for (std::size_t i = 0; i < l.ids; ++i) {
    if (key.empty()) return std::nullopt;
    std::size_t n = static_cast<unsigned char>(key[0]);
    if (n == 0 || key.size() < 1 + n) return std::nullopt;
    p.ids.emplace_back(key.substr(1, n));
    key.remove_prefix(1 + n);
  }
  if (l.number) {
    if (key.size() != 8) return std::nullopt;
    for (char c : key)
      p.number = (p.number << 8) | static_cast<unsigned char>(c);
  } else if (!key.empty()) {
    return std::nullopt;
  }
  return p;
}

}  // namespace switchboard::storage::legacy_keys
