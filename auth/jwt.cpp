#include "auth/jwt.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <utility>

#include "auth/base64url.hpp"

namespace switchboard::auth {

namespace {

// A token part, parsed into `arena`: the values live as long as it does.
std::optional<boost::json::value> parse_part(
    std::string_view b64, boost::json::monotonic_resource& arena) {
  auto raw = base64url_decode(b64);
  if (!raw) return std::nullopt;
  boost::system::error_code ec;
  auto v = boost::json::parse(*raw, ec, &arena);
  if (ec || !v.is_object()) return std::nullopt;
  return v;
}

// A JSON number of seconds (RFC 7519 NumericDate), not always an int64:
// one past int64's range is simply far in the future or the past.
// Converting such a double unchecked was undefined behaviour, and on x86
// turned a far-future exp into INT64_MIN, an expired token.
// NaN is no date at all (Boost.JSON 1.81 reads `0e370` as one: 0 times an
// infinite power of ten): nullopt.
std::optional<std::int64_t> clamped_seconds(double s) {
  constexpr double two_63 = 9223372036854775808.0;
  if (std::isnan(s)) return std::nullopt;
  if (s >= two_63) return INT64_MAX;
  if (s < -two_63) return INT64_MIN;
  return static_cast<std::int64_t>(s);
}

// A NumericDate claim, clamped to int64; nullopt when it is no number.
std::optional<std::int64_t> numeric_date(const boost::json::value& v) {
  if (v.is_int64()) return v.as_int64();
  if (v.is_uint64()) {
    auto u = v.as_uint64();
    return u > static_cast<std::uint64_t>(INT64_MAX)
               ? INT64_MAX
               : static_cast<std::int64_t>(u);
  }
  if (v.is_double()) return clamped_seconds(v.as_double());
  return std::nullopt;
}

}  // namespace

std::string_view to_string(token_error e) noexcept {
  switch (e) {
    case token_error::malformed:
      return "malformed token";
    case token_error::bad_algorithm:
      return "token algorithm must be HS256";
    case token_error::bad_signature:
      return "bad token signature";
    case token_error::expired:
      return "token expired";
    case token_error::missing_exp:
      return "token has no exp";
    case token_error::not_yet_valid:
      return "token not valid yet (nbf or iat in the future)";
    case token_error::too_long_lived:
      return "token lives longer than this node allows";
    case token_error::revoked:
      return "token revoked";
    case token_error::bad_subject:
      return "token sub is not a valid user id";
  }
  return "bad token";
}

bool valid_user_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

struct hs256_key::impl {
  EVP_MAC* mac = nullptr;
  EVP_MAC_CTX* keyed = nullptr;  // initialized with the key; copied per use

  ~impl() {
    EVP_MAC_CTX_free(keyed);
    EVP_MAC_free(mac);
  }
};

hs256_key::hs256_key(std::string_view secret)
    : impl_(std::make_unique<impl>()) {
  // HMAC pads its key with zeros to a block: the empty key is the key of
  // one zero byte, which OpenSSL, unlike an empty one, accepts.
  static constexpr unsigned char zero = 0;
  auto* key = secret.empty()
                  ? &zero
                  : reinterpret_cast<const unsigned char*>(secret.data());
  std::size_t key_len = secret.empty() ? 1 : secret.size();
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0),
                         OSSL_PARAM_construct_end()};
  impl_->mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (impl_->mac) impl_->keyed = EVP_MAC_CTX_new(impl_->mac);
  if (!impl_->keyed || EVP_MAC_init(impl_->keyed, key, key_len, params) != 1)
    throw std::runtime_error("OpenSSL cannot provide HMAC-SHA256");
}

hs256_key::~hs256_key() = default;

std::string hs256_key::mac(std::string_view data) const {
  std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)> ctx(
      EVP_MAC_CTX_dup(impl_->keyed), &EVP_MAC_CTX_free);
  unsigned char out[EVP_MAX_MD_SIZE];
  std::size_t len = 0;
  if (!ctx ||
      EVP_MAC_update(ctx.get(),
                     reinterpret_cast<const unsigned char*>(data.data()),
                     data.size()) != 1 ||
      EVP_MAC_final(ctx.get(), out, &len, sizeof out) != 1)
    return {};  // no MAC: nothing compares equal to it
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string sign_token(const hs256_key& key, const claims& c) {
  boost::json::object payload;
  payload["sub"] = c.sub;
  payload["exp"] = c.exp;
  if (c.iat != 0) payload["iat"] = c.iat;
  if (c.nbf != 0) payload["nbf"] = c.nbf;
  std::string signing_input =
      base64url_encode(R"({"alg":"HS256","typ":"JWT"})") + "." +
      base64url_encode(boost::json::serialize(payload));
  return signing_input + "." + base64url_encode(key.mac(signing_input));
}

std::string sign_token(std::string_view secret, const claims& c) {
  return sign_token(hs256_key(secret), c);
}

verify_result verify_token(std::string_view secret, std::string_view token,
                           std::int64_t now_s, const time_rules& rules) {
  return verify_token(hs256_key(secret), token, now_s, rules);
}

verify_result verify_token(const hs256_key& key, std::string_view token,
                           std::int64_t now_s, const time_rules& rules) {
  auto fail = [](token_error e) { return verify_result{std::nullopt, e}; };
  auto dot1 = token.find('.');
  if (dot1 == std::string_view::npos) return fail(token_error::malformed);
  auto dot2 = token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos ||
      token.find('.', dot2 + 1) != std::string_view::npos)
    return fail(token_error::malformed);
  unsigned char scratch[1024];
  boost::json::monotonic_resource arena(scratch, sizeof scratch);
  auto header_v = parse_part(token.substr(0, dot1), arena);
  auto payload_v = parse_part(token.substr(dot1 + 1, dot2 - dot1 - 1), arena);
  auto sig = base64url_decode(token.substr(dot2 + 1));
  if (!header_v || !payload_v || !sig) return fail(token_error::malformed);
  auto* header = &header_v->as_object();
  auto* payload = &payload_v->as_object();

  // The algorithm is pinned: the header may not choose it.
  auto alg = header->if_contains("alg");
  if (!alg || !alg->is_string() || alg->as_string() != "HS256")
    return fail(token_error::bad_algorithm);

  auto expected = key.mac(token.substr(0, dot2));
  if (expected.empty() || sig->size() != expected.size() ||
      CRYPTO_memcmp(sig->data(), expected.data(), expected.size()) != 0)
    return fail(token_error::bad_signature);

  claims c;
  auto exp = payload->if_contains("exp");
  if (!exp) return fail(token_error::missing_exp);
  auto t = numeric_date(*exp);
  if (!t) return fail(token_error::missing_exp);
  c.exp = *t;
  if (c.exp <= now_s - rules.leeway_s) return fail(token_error::expired);
  for (auto [name, field] : {std::pair{"iat", &c.iat}, {"nbf", &c.nbf}}) {
    auto* v = payload->if_contains(name);
    if (!v) continue;
    auto when = numeric_date(*v);
    if (!when) return fail(token_error::malformed);
    if (*when > now_s + rules.leeway_s) return fail(token_error::not_yet_valid);
    *field = *when;
  }
  if (rules.max_lifetime_s > 0) {
    std::int64_t life = 0;
    if (__builtin_sub_overflow(c.exp, c.iat != 0 ? c.iat : now_s, &life) ||
        life > rules.max_lifetime_s)
      return fail(token_error::too_long_lived);
  }

  auto sub = payload->if_contains("sub");
  if (!sub || !sub->is_string() || !valid_user_id(sub->as_string()))
    return fail(token_error::bad_subject);
  c.sub = std::string(sub->as_string());
  return verify_result{std::move(c), token_error::malformed};
}

}  // namespace switchboard::auth
