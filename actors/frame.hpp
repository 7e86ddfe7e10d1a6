#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actors/limits.hpp"
#include "actors/messages.hpp"

namespace switchboard::actors {

// A client frame (PROTOCOL.md "Client to server"), validated: field types,
// required fields, id formats and ranges. Checks that need state (exists,
// member, body size, rate) are the conversation's, in the protocol's order.
struct client_frame {
  std::string type;
  std::optional<std::string> rid;

  std::string conv_id;  // send, ack, read, sync, members, typing, receipts
  std::string kind;     // create
  std::string title;    // create (group)
  std::vector<std::string> members;  // create
  std::string client_msg_id;         // send
  std::string body;                  // send
  std::uint64_t msg_id = 0;          // ack, read
  std::uint64_t after = 0;           // sync; 0 with has_after false: absent
  std::uint64_t before = 0;          // sync
  bool has_after = false;
  bool has_before = false;
  std::uint32_t limit = 50;           // sync
  std::vector<std::string> add;       // members
  std::vector<std::string> remove;    // members
  std::vector<std::string> user_ids;  // presence, receipts
  bool subscribe = false;             // presence
  // When the connection read it (set by the session; unset for REST): a
  // send's latency counts from here, also while it waits in a lane.
  std::chrono::steady_clock::time_point arrived{};
};

struct parsed_frame {
  std::optional<client_frame> frame;  // set when valid
  proto_error err;                    // bad_request when not
  std::optional<std::string> rid;     // the frame's rid, if it had a valid one
};

// Parses and validates one text frame of user `self`.
parsed_frame parse_frame(std::string_view text, const std::string& self,
                         const limits& lim);
// The same for a frame that is already a JSON object (REST builds these).
parsed_frame parse_frame(const boost::json::object& frame,
                         const std::string& self, const limits& lim);

}  // namespace switchboard::actors
