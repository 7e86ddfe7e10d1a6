// Fuzzes the key decoders (storage/keys.hpp): the bytes are a key read
// from any column family. The encoding is canonical, so a key that splits
// must be rebuilt exactly from its parts, and a message key from its
// conversation and msg_id.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/invariant.hpp"
#include "storage/keys.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  namespace keys = switchboard::storage::keys;
  using switchboard::fuzz::invariant;
  std::string_view key(reinterpret_cast<const char*>(data), size);

  auto prefix = keys::first_component_size(key);
  invariant(prefix <= key.size(), "the prefix lies within the key");

  if (auto parts = keys::split(key)) {
    std::string rebuilt;
    for (auto part : *parts) keys::append_component(rebuilt, part);
    invariant(rebuilt == key, "a split key is rebuilt from its parts");
    if (!parts->empty())
      invariant(prefix == 1 + parts->front().size(),
                "the prefix is the first part");
  }

  if (auto id = keys::message_id(key)) {
    invariant(prefix > 0, "a message key has a conversation");
    auto conv = key.substr(1, prefix - 1);
    invariant(keys::message_key(conv, *id) == key,
              "a message key is rebuilt from its conversation and msg_id");
  }
  return 0;
}
