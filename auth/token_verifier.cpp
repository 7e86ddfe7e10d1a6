#include "auth/token_verifier.hpp"

#include <strings.h>

#include <chrono>
#include <mutex>

#include "common/clock.hpp"

namespace switchboard::auth {

void revocation_list::revoke(const std::string& user,
                             std::int64_t not_before_s) {
  std::unique_lock lock(mtx_);
  auto& t = users_[user];
  if (not_before_s > t) t = not_before_s;
}

std::int64_t revocation_list::not_before(std::string_view user) const {
  std::shared_lock lock(mtx_);
  if (users_.empty()) return 0;
  auto it = users_.find(std::string(user));
  return it == users_.end() ? 0 : it->second;
}

token_verifier::token_verifier(std::shared_ptr<const hs256_key> key,
                               time_rules rules, const revocation_list* revoked)
    : key_(std::move(key)), rules_(rules), revoked_(revoked) {}

verify_result token_verifier::verify(std::string_view token,
                                     std::int64_t now) const {
  auto r = verify_token(*key_, token, now, rules_);
  if (r.ok && revoked_) {
    // A token without iat cannot show that it is newer than the
    // revocation, so it is refused with the old ones.
    auto nb = revoked_->not_before(r.ok->sub);
    if (nb != 0 && r.ok->iat < nb) return {std::nullopt, token_error::revoked};
  }
  return r;
}

verify_result token_verifier::verify(std::string_view token) const {
  return verify(token, now_s());
}

std::string_view bearer_token(std::string_view h) noexcept {
  constexpr std::string_view scheme = "bearer ";
  if (h.size() <= scheme.size() ||
      ::strncasecmp(h.data(), scheme.data(), scheme.size()) != 0)
    return {};
  h.remove_prefix(scheme.size());
  while (!h.empty() && h.front() == ' ') h.remove_prefix(1);
  return h;
}

std::int64_t now_s() noexcept { return common::unix_s(); }

}  // namespace switchboard::auth
