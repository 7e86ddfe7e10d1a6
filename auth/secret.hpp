#pragma once

#include <string>

namespace switchboard::auth {

// A secret of the node: `configured` when not empty (from the
// configuration or the environment), otherwise the file DATA_DIR/FILE_NAME
// (jwt_secret, admin_token), created with 32 random bytes (hex) and mode
// 0600 when missing. Throws std::runtime_error when the file can be neither
// read nor created (a start-up error).
std::string load_or_create_secret(const std::string& configured,
                                  const std::string& data_dir,
                                  const std::string& file_name = "jwt_secret");

// The shortest token secret a node accepts: HS256 keys shorter than the
// hash (32 bytes) weaken it, and short ones can be guessed offline from a
// single token.
constexpr std::size_t min_secret_bytes = 32;

// Creates `dir` (and missing parents) when it does not exist, the directory
// itself with mode 0700: the data directory holds the node's secrets and
// every user's messages. Throws std::runtime_error when it cannot.
void make_private_dir(const std::string& dir);

// `n` random bytes from the system's CSPRNG, hex-encoded.
std::string random_hex(std::size_t n);

}  // namespace switchboard::auth
