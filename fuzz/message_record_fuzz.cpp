// Fuzzes the decoder of message records (storage/message_record.hpp): the
// bytes are a value read from the messages column family. A record that
// decodes must encode to a record that decodes to the same message.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/invariant.hpp"
#include "storage/message_record.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  namespace storage = switchboard::storage;
  using switchboard::fuzz::invariant;
  constexpr std::uint64_t msg_id = 7;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto m = storage::decode_message(msg_id, bytes);
  if (!m) {
    invariant(m.err().code == storage::errc::corruption,
              "a bad record is corruption");
    return 0;
  }
  invariant(m->msg_id == msg_id, "the msg_id is the key's");
  auto again = storage::decode_message(msg_id, storage::encode_message(*m));
  invariant(again.has_value(), "an encoded message decodes");
  invariant(again->sender == m->sender && again->body == m->body &&
                again->ts_ms == m->ts_ms &&
                again->client_msg_id == m->client_msg_id,
            "a message round-trips");
  return 0;
}
