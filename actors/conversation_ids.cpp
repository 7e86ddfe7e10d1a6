#include "actors/conversation_ids.hpp"

#include <openssl/sha.h>

#include "auth/secret.hpp"

namespace switchboard::actors {

std::string direct_conversation_id(const std::string& a, const std::string& b) {
  const std::string& lo = a < b ? a : b;
  const std::string& hi = a < b ? b : a;
  // '\n' cannot occur in a user id, so the pair is unambiguous.
  std::string input = lo + "\n" + hi;
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(),
         md);
  static constexpr char digits[] = "0123456789abcdef";
  std::string id = "d";
  for (int i = 0; i < 16; ++i) {
    id.push_back(digits[md[i] >> 4]);
    id.push_back(digits[md[i] & 15]);
  }
  return id;
}

std::string new_group_id() { return "g" + auth::random_hex(12); }

}  // namespace switchboard::actors
