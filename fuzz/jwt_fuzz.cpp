// Fuzzes the HS256 verifier (auth/jwt.hpp). The first byte picks a mode:
// even, the rest is a token as a client sends it; odd, the rest is a
// header and a payload (JSON, split at the first newline) that the harness
// signs with the key, so that the fuzzer reaches the claims behind the
// signature check. A token that verifies must hold a valid sub and an exp
// after now, and its claims signed again must verify to the same claims.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "auth/jwt.hpp"
#include "fuzz/invariant.hpp"
#include "fuzz/jwt_secret.hpp"

namespace {

using switchboard::fuzz::invariant;
namespace auth = switchboard::auth;

constexpr std::int64_t now_s = switchboard::fuzz::jwt_now_s;

// base64url without padding (RFC 7515 §2), written for the harness so that
// it does not trust the encoder under test.
std::string base64url(std::string_view in) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    std::uint32_t n = static_cast<std::uint8_t>(in[i]) << 16 |
                      static_cast<std::uint8_t>(in[i + 1]) << 8 |
                      static_cast<std::uint8_t>(in[i + 2]);
    for (int shift = 18; shift >= 0; shift -= 6)
      out.push_back(alphabet[(n >> shift) & 63]);
  }
  std::size_t rest = in.size() - i;
  if (rest > 0) {
    std::uint32_t n = static_cast<std::uint8_t>(in[i]) << 16;
    if (rest == 2) n |= static_cast<std::uint8_t>(in[i + 1]) << 8;
    out.push_back(alphabet[(n >> 18) & 63]);
    out.push_back(alphabet[(n >> 12) & 63]);
    if (rest == 2) out.push_back(alphabet[(n >> 6) & 63]);
  }
  return out;
}

std::string signed_token(const auth::hs256_key& key, std::string_view input) {
  auto newline = input.find('\n');
  auto header = input.substr(0, newline);
  auto payload =
      newline == std::string_view::npos ? "" : input.substr(newline + 1);
  std::string signing_input = base64url(header) + "." + base64url(payload);
  return signing_input + "." + base64url(key.mac(signing_input));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  static const auth::hs256_key key(switchboard::fuzz::jwt_secret);
  if (size == 0) return 0;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string token =
      data[0] % 2 == 0 ? std::string(input) : signed_token(key, input);
  auto r = auth::verify_token(key, token, now_s);
  if (!r.ok) {
    invariant(!auth::to_string(r.error).empty(), "a refusal says why");
    return 0;
  }
  invariant(auth::valid_user_id(r.ok->sub), "sub is a valid user id");
  invariant(r.ok->exp > now_s, "exp is after now");
  auto again = auth::verify_token(key, auth::sign_token(key, *r.ok), now_s);
  invariant(
      again.ok && again.ok->sub == r.ok->sub && again.ok->exp == r.ok->exp,
      "verified claims, signed again, verify to the same claims");
  return 0;
}
