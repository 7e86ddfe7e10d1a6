#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace switchboard::bench {

// The members of a server frame the harness reads. Only top-level members
// are kept; nested values (arrays of members, of statuses) are parsed and
// skipped.
struct frame_fields {
  std::string type, rid, conv_id, client_msg_id, state, user_id, code;
  std::uint64_t msg_id = 0;
  bool has_msg_id = false;
  bool duplicate = false;
  std::string body_head;  // the first 24 bytes of `body`
};

// Reads server frames with a validating SAX parse (boost::json's
// basic_parser): no document is built, and strings are kept only for the
// members above. One per harness thread; not thread-safe.
class frame_reader {
 public:
  frame_reader();
  ~frame_reader();
  frame_reader(const frame_reader&) = delete;
  frame_reader& operator=(const frame_reader&) = delete;

  // Fills `out` from `text`. False when `text` is not exactly one JSON
  // object (then `out` is unspecified).
  bool read(std::string_view text, frame_fields& out);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace switchboard::bench
