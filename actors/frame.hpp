#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "actors/limits.hpp"
#include "actors/proto_error.hpp"

namespace switchboard::actors {

// The client's requests (PROTOCOL.md "Client to server"), one struct each,
// validated by parse_frame: field types, required fields, id formats and
// ranges. Checks that need state (exists, member, body size, rate) are the
// conversation's, in the protocol's order.
//
// Adding a request type: its struct here (with its wire name as `type`)
// and in client_request, its parser in frame.cpp's table, its handler in
// requests.cpp; the compiler then names the visit that lacks it.
namespace request {

struct ping {
  static constexpr std::string_view type = "ping";
};
struct conversations {
  static constexpr std::string_view type = "conversations";
  std::string after;        // conv_id: the page starts past it; "": first
  std::uint32_t limit = 0;  // conversations; 0: limits::inbox_page
};
struct create {
  static constexpr std::string_view type = "create";
  std::string kind;                  // "direct" or "group"
  std::vector<std::string> members;  // the creator first
  std::string title;                 // a group's; empty for a direct one
};
struct send {
  static constexpr std::string_view type = "send";
  std::string conv_id;
  std::string client_msg_id;
  std::string body;
};
// ack and read (its wire name is one of the two: client_frame::type)
struct cursor {
  std::string conv_id;
  std::uint64_t msg_id = 0;
  bool read = false;  // read (else ack)
};
struct sync {
  static constexpr std::string_view type = "sync";
  std::string conv_id;
  bool has_after = false;  // after and before are exclusive
  std::uint64_t after = 0;
  bool has_before = false;
  std::uint64_t before = 0;
  std::uint32_t limit = 50;
};
struct typing {
  static constexpr std::string_view type = "typing";
  std::string conv_id;
};
struct members {
  static constexpr std::string_view type = "members";
  std::string conv_id;
  std::vector<std::string> add;
  std::vector<std::string> remove;
};
struct receipts {
  static constexpr std::string_view type = "receipts";
  std::string conv_id;
  std::vector<std::string> user_ids;
};
struct presence {
  static constexpr std::string_view type = "presence";
  std::vector<std::string> user_ids;
  bool subscribe = false;
};

}  // namespace request

using client_request =
    std::variant<request::ping, request::conversations, request::create,
                 request::send, request::cursor, request::sync, request::typing,
                 request::members, request::receipts, request::presence>;

// One client frame: its request and what every frame carries.
struct client_frame {
  std::optional<std::string> rid;
  client_request req;
  // When the connection read it (set by the session; unset for REST): a
  // send's latency counts from here, also while it waits in a lane.
  std::chrono::steady_clock::time_point arrived{};

  // Its type as on the wire ("ack" or "read" for a cursor).
  std::string_view type() const;
  // The conversation it is for; empty for ping, conversations, create and
  // presence.
  const std::string& conv_id() const;
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
