#include "storage/message_record.hpp"

namespace switchboard::storage {

namespace {

constexpr unsigned char version_1 = 1;

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void put_string(std::string& out, std::string_view s) {
  put_varint(out, s.size());
  out.append(s);
}

// Reads from the front of `in`, shrinking it; false when `in` runs out.
bool get_varint(std::string_view& in, std::uint64_t& v) {
  v = 0;
  for (int shift = 0; shift <= 63 && !in.empty(); shift += 7) {
    auto byte = static_cast<unsigned char>(in.front());
    in.remove_prefix(1);
    v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

bool get_string(std::string_view& in, std::string& s) {
  std::uint64_t n = 0;
  if (!get_varint(in, n) || n > in.size()) return false;
  s.assign(in.data(), n);
  in.remove_prefix(n);
  return true;
}

// Signed timestamps are zig-zag encoded so that a negative one stays short.
std::uint64_t zigzag(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^
         static_cast<std::uint64_t>(v >> 63);
}

std::int64_t unzigzag(std::uint64_t v) {
  return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

}  // namespace

std::string encode_message(const message& m) {
  std::string out;
  out.reserve(1 + 3 + m.sender.size() + m.body.size() + 10 +
              m.client_msg_id.size());
  out.push_back(static_cast<char>(version_1));
  put_string(out, m.sender);
  put_string(out, m.body);
  put_varint(out, zigzag(m.ts_ms));
  put_string(out, m.client_msg_id);
  return out;
}

result<message> decode_message(std::uint64_t msg_id, std::string_view bytes) {
  auto corrupt = [msg_id](const char* what) {
    return error{errc::corruption,
                 "message " + std::to_string(msg_id) + ": " + what};
  };
  if (bytes.empty()) return corrupt("empty record");
  if (static_cast<unsigned char>(bytes.front()) != version_1)
    return corrupt("unknown record version");
  bytes.remove_prefix(1);
  message m;
  m.msg_id = msg_id;
  std::uint64_t ts = 0;
  if (!get_string(bytes, m.sender) || !get_string(bytes, m.body) ||
      !get_varint(bytes, ts) || !get_string(bytes, m.client_msg_id))
    return corrupt("truncated record");
  if (!bytes.empty()) return corrupt("trailing bytes");
  m.ts_ms = unzigzag(ts);
  return m;
}

}  // namespace switchboard::storage
