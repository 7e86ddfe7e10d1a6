#include "storage/shard.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cstdlib>
#include <memory>

namespace switchboard::storage {

namespace {

// OpenSSL 3 looks the algorithm up on every one-shot SHA256() call (about
// 0.35 us here); a digest fetched once and a context per thread cost 0.1 us.
const EVP_MD* sha256() {
  static const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

struct ctx_free {
  void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
};

}  // namespace

std::uint64_t stable_hash(std::string_view id) noexcept {
  thread_local std::unique_ptr<EVP_MD_CTX, ctx_free> ctx(EVP_MD_CTX_new());
  unsigned char digest[SHA256_DIGEST_LENGTH];
  unsigned int len = 0;
  const EVP_MD* md = sha256();
  // Without a digest a shard could not be computed at all, and a wrong one
  // would misplace data: stopping is the only safe answer.
  if (!ctx || !md || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), id.data(), id.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), digest, &len) != 1 ||
      len != SHA256_DIGEST_LENGTH)
    std::abort();
  std::uint64_t h = 0;
  for (int i = 0; i < 8; ++i) h = (h << 8) | digest[i];
  return h;
}

}  // namespace switchboard::storage
