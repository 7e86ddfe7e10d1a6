#pragma once

#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "auth/jwt.hpp"

namespace switchboard::auth {

// The users whose tokens were revoked (`switchboard admin revoke USER`):
// a token of such a user issued before the revocation, or without `iat`,
// is refused. Loaded from the store at start and kept in memory, since
// tokens are checked on network threads, which must not read the store.
// Thread-safe.
class revocation_list {
 public:
  // Tokens of `user` issued before `not_before_s` are refused from now on.
  // A later revocation replaces an earlier one; an earlier one is ignored.
  void revoke(const std::string& user, std::int64_t not_before_s);
  // The time before which tokens of `user` are refused; 0: none.
  std::int64_t not_before(std::string_view user) const;

 private:
  mutable std::shared_mutex mtx_;
  std::unordered_map<std::string, std::int64_t> users_;
};

// Checks client tokens the same way wherever they arrive (WebSocket
// upgrade, REST): the signature with the node's key, the times with the
// node's rules and clock, and the revocations. Immutable but for the
// revocation list it reads; thread-safe. `revoked` must outlive it.
class token_verifier {
 public:
  token_verifier(std::shared_ptr<const hs256_key> key, time_rules rules,
                 const revocation_list* revoked);

  // At `now_s` (seconds since the epoch), or at the system clock's now.
  verify_result verify(std::string_view token, std::int64_t now_s) const;
  verify_result verify(std::string_view token) const;

  const hs256_key& key() const noexcept { return *key_; }
  const time_rules& rules() const noexcept { return rules_; }

 private:
  std::shared_ptr<const hs256_key> key_;
  time_rules rules_;
  const revocation_list* revoked_;
};

// The token of an `Authorization` header value "Bearer TOKEN" (the scheme
// in any case, RFC 7235), or "" when it is not one.
std::string_view bearer_token(std::string_view authorization) noexcept;

// Seconds since the Unix epoch, by the system clock.
std::int64_t now_s() noexcept;

}  // namespace switchboard::auth
