#pragma once

// WebSocket framing (RFC 6455) for the harness's client side: frames the
// client writes (masked) and frames it reads (unmasked). Plain functions
// over byte strings, so that a connection can queue many frames into one
// TCP write and take every frame out of one TCP read.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace switchboard::bench {

enum class ws_opcode : std::uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

// Appends one complete (FIN) frame with `payload`, masked with `mask_key`
// as a client must mask every frame it sends.
void append_client_frame(std::string& out, ws_opcode op,
                         std::string_view payload, std::uint32_t mask_key);

// One frame read from a server.
struct ws_frame {
  ws_opcode op = ws_opcode::text;
  bool fin = true;
  std::string_view payload;  // points into the buffer given to next_frame
};

enum class ws_parse { frame, incomplete, bad };

// Takes the first frame out of `in` (from `*pos` on). On `frame`, fills
// `f` and advances `*pos` past it; on `incomplete`, more bytes are needed;
// on `bad`, the bytes are not a valid server frame (masked, reserved bits,
// a control frame over 125 bytes or fragmented, or over `max_payload`).
ws_parse next_frame(std::string_view in, std::size_t* pos, ws_frame& f,
                    std::size_t max_payload);

}  // namespace switchboard::bench
