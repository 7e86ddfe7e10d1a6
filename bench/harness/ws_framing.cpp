#include "bench/harness/ws_framing.hpp"

#include <cstring>

namespace switchboard::bench {

void append_client_frame(std::string& out, ws_opcode op,
                         std::string_view payload, std::uint32_t mask_key) {
  unsigned char head[14];
  std::size_t n = 0;
  head[n++] = static_cast<unsigned char>(0x80 | static_cast<unsigned>(op));
  auto len = payload.size();
  if (len < 126) {
    head[n++] = static_cast<unsigned char>(0x80 | len);
  } else if (len <= 0xffff) {
    head[n++] = 0x80 | 126;
    head[n++] = static_cast<unsigned char>(len >> 8);
    head[n++] = static_cast<unsigned char>(len);
  } else {
    head[n++] = 0x80 | 127;
    for (int shift = 56; shift >= 0; shift -= 8)
      head[n++] =
          static_cast<unsigned char>(static_cast<std::uint64_t>(len) >> shift);
  }
  unsigned char key[4] = {static_cast<unsigned char>(mask_key >> 24),
                          static_cast<unsigned char>(mask_key >> 16),
                          static_cast<unsigned char>(mask_key >> 8),
                          static_cast<unsigned char>(mask_key)};
  std::memcpy(head + n, key, 4);
  n += 4;
  out.append(reinterpret_cast<const char*>(head), n);
  auto start = out.size();
  out.append(payload);
  auto* p = reinterpret_cast<unsigned char*>(&out[start]);
  for (std::size_t i = 0; i < len; ++i) p[i] ^= key[i & 3];
}

ws_parse next_frame(std::string_view in, std::size_t* pos, ws_frame& f,
                    std::size_t max_payload) {
  auto* p = reinterpret_cast<const unsigned char*>(in.data()) + *pos;
  std::size_t avail = in.size() - *pos;
  if (avail < 2) return ws_parse::incomplete;
  if (p[0] & 0x70) return ws_parse::bad;  // reserved bits: no extensions
  if (p[1] & 0x80) return ws_parse::bad;  // a server never masks
  f.fin = (p[0] & 0x80) != 0;
  auto op = p[0] & 0x0f;
  if (op > 0xA || (op > 0x2 && op < 0x8)) return ws_parse::bad;
  f.op = static_cast<ws_opcode>(op);
  std::uint64_t len = p[1] & 0x7f;
  std::size_t head = 2;
  if (len == 126) {
    if (avail < 4) return ws_parse::incomplete;
    len = (std::uint64_t{p[2]} << 8) | p[3];
    head = 4;
  } else if (len == 127) {
    if (avail < 10) return ws_parse::incomplete;
    len = 0;
    for (int i = 2; i < 10; ++i) len = (len << 8) | p[i];
    head = 10;
  }
  if (op >= 0x8 && (len > 125 || !f.fin)) return ws_parse::bad;
  if (len > max_payload) return ws_parse::bad;
  if (avail - head < len) return ws_parse::incomplete;
  f.payload = in.substr(*pos + head, static_cast<std::size_t>(len));
  *pos += head + static_cast<std::size_t>(len);
  return ws_parse::frame;
}

}  // namespace switchboard::bench
