#include "push/webpush_crypto.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>

#include <memory>
#include <stdexcept>

namespace switchboard::push {

namespace {

using pkey_ptr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

constexpr std::size_t record_size = 4096;

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char out[32];
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), bytes(data),
            data.size(), out, &len))
    throw std::runtime_error("HMAC-SHA-256 failed");
  return std::string(reinterpret_cast<char*>(out), len);
}

// HKDF (RFC 5869) with SHA-256, for one block of output (L <= 32).
std::string hkdf(std::string_view salt, std::string_view ikm,
                 std::string_view info, std::size_t length) {
  auto prk = hmac_sha256(salt, ikm);
  std::string t(info);
  t.push_back('\x01');
  return hmac_sha256(prk, t).substr(0, length);
}

// A P-256 public key from its uncompressed point.
pkey_ptr public_from_point(std::string_view point) {
  if (point.size() != 65 || point[0] != '\x04')
    throw std::invalid_argument("not an uncompressed P-256 public key");
  std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> bld(
      OSSL_PARAM_BLD_new(), &OSSL_PARAM_BLD_free);
  OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                  "prime256v1", 0);
  OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY,
                                   point.data(), point.size());
  std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)> params(
      OSSL_PARAM_BLD_to_param(bld.get()), &OSSL_PARAM_free);
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr), &EVP_PKEY_CTX_free);
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) !=
          1)
    throw std::invalid_argument("not a P-256 public key");
  return pkey_ptr(key, &EVP_PKEY_free);
}

std::string point_of(EVP_PKEY* key) {
  unsigned char buf[65];
  std::size_t len = 0;
  if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                      buf, sizeof buf, &len) != 1 ||
      len != 65)
    throw std::runtime_error("cannot encode a P-256 public key");
  return std::string(reinterpret_cast<char*>(buf), len);
}

std::string ecdh(EVP_PKEY* mine, EVP_PKEY* theirs) {
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new(mine, nullptr), &EVP_PKEY_CTX_free);
  std::size_t len = 0;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), theirs) != 1 ||
      EVP_PKEY_derive(ctx.get(), nullptr, &len) != 1)
    throw std::invalid_argument("ECDH with the subscription's key failed");
  std::string out(len, '\0');
  if (EVP_PKEY_derive(ctx.get(), reinterpret_cast<unsigned char*>(out.data()),
                      &len) != 1)
    throw std::invalid_argument("ECDH with the subscription's key failed");
  out.resize(len);
  return out;
}

}  // namespace

std::string webpush_encrypt(std::string_view ua_public, std::string_view auth,
                            std::string_view plaintext) {
  if (auth.size() != 16)
    throw std::invalid_argument(
        "the subscription's auth secret is not 16 bytes");
  // One record: the plaintext, its delimiter, the tag within record_size.
  if (plaintext.size() + 1 + 16 > record_size)
    throw std::invalid_argument("the push payload is too long");
  auto ua = public_from_point(ua_public);
  pkey_ptr eph(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"),
               &EVP_PKEY_free);
  if (!eph) throw std::runtime_error("cannot make a P-256 key");
  auto as_public = point_of(eph.get());
  auto secret = ecdh(eph.get(), ua.get());
  // RFC 8291 §3.4: the input keying material, from the auth secret.
  std::string key_info = "WebPush: info";
  key_info.push_back('\0');
  key_info.append(ua_public);
  key_info.append(as_public);
  auto ikm = hkdf(auth, secret, key_info, 32);
  std::string salt(16, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), 16) != 1)
    throw std::runtime_error("no random bytes");
  auto cek =
      hkdf(salt, ikm, std::string("Content-Encoding: aes128gcm\0", 28), 16);
  auto nonce =
      hkdf(salt, ikm, std::string("Content-Encoding: nonce\0", 24), 12);
  std::string record(plaintext);
  record.push_back('\x02');  // the last record's delimiter, no padding
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> c(
      EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  std::string out(record.size() + 16, '\0');
  int len = 0, fin = 0;
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  if (!c ||
      EVP_EncryptInit_ex(c.get(), EVP_aes_128_gcm(), nullptr, nullptr,
                         nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(c.get(), EVP_CTRL_GCM_SET_IVLEN, 12, nullptr) != 1 ||
      EVP_EncryptInit_ex(c.get(), nullptr, nullptr, bytes(cek), bytes(nonce)) !=
          1 ||
      EVP_EncryptUpdate(c.get(), o, &len, bytes(record),
                        static_cast<int>(record.size())) != 1 ||
      EVP_EncryptFinal_ex(c.get(), o + len, &fin) != 1 ||
      EVP_CIPHER_CTX_ctrl(c.get(), EVP_CTRL_GCM_GET_TAG, 16, o + len + fin) !=
          1)
    throw std::runtime_error("AES-128-GCM failed");
  out.resize(static_cast<std::size_t>(len + fin) + 16);
  // The aes128gcm header (RFC 8188 §2.1): salt, rs, idlen, keyid.
  std::string body = salt;
  for (int shift : {24, 16, 8, 0})
    body.push_back(static_cast<char>((record_size >> shift) & 0xff));
  body.push_back(static_cast<char>(as_public.size()));
  body += as_public;
  body += out;
  return body;
}

}  // namespace switchboard::push
