#include "actors/conversation_ids.hpp"

#include "auth/jwt.hpp"
#include "auth/secret.hpp"

namespace switchboard::actors {

namespace {

std::string hex(const std::string& bytes, std::size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n && i < bytes.size(); ++i) {
    auto c = static_cast<unsigned char>(bytes[i]);
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

}  // namespace

std::string direct_conversation_id(const auth::hs256_key& key,
                                   const std::string& a, const std::string& b) {
  const std::string& lo = a < b ? a : b;
  const std::string& hi = a < b ? b : a;
  // '\n' cannot occur in a user id, so the pair is unambiguous.
  return "d" + hex(key.mac(lo + "\n" + hi), 16);
}

std::string direct_id_secret(const std::string& token_secret) {
  return auth::hs256_key(token_secret)
      .mac("switchboard direct conversation ids");
}

std::string new_group_id() { return "g" + auth::random_hex(12); }

}  // namespace switchboard::actors
