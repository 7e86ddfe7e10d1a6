#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

// The protocol's error codes (PROTOCOL.md "Errors"), in one table: the wire
// name each `error` frame and REST error body carries, the HTTP status REST
// answers with, and what the code means, which is also the message of an
// error given none (default_message). The metrics label errors by the wire
// name (switchboard_errors_total{code}). Adding a code is one row here; the
// compiler then finds each switch that misses it, and a code without a row
// does not compile (below). tests/rest/error_docs_test.cpp holds
// PROTOCOL.md's and openapi.yaml's lists of codes and statuses to it.
namespace switchboard::common {

enum class proto_code : std::uint8_t {
  bad_request,
  unauthorized,
  forbidden,
  not_found,
  method_not_allowed,
  too_large,
  rate_limited,
  unavailable,
  internal,
  none,  // no error: not in the table (a proto_error that is ok)
};

struct proto_code_info {
  proto_code code;
  std::string_view wire;  // also the metric label
  int http_status;
  std::string_view meaning;
};

inline constexpr std::array<proto_code_info, 9> proto_codes = {{
    {proto_code::bad_request, "bad_request", 400,
     "malformed JSON, a missing or wrong-typed field, an unknown type"},
    {proto_code::unauthorized, "unauthorized", 401,
     "no token, or a bad, expired or revoked one"},
    {proto_code::forbidden, "forbidden", 403,
     "not a member of that conversation, or no such conversation"},
    {proto_code::not_found, "not_found", 404,
     "anything else that does not exist: a device, a path"},
    {proto_code::method_not_allowed, "method_not_allowed", 405,
     "REST only: a path that does not take that method"},
    {proto_code::too_large, "too_large", 413,
     "a body over max_body, a frame over max_frame"},
    {proto_code::rate_limited, "rate_limited", 429,
     "a budget is spent: retry after retry_after_ms"},
    {proto_code::unavailable, "unavailable", 503,
     "the owner cannot be reached or the node cannot write now: retry"},
    {proto_code::internal, "internal", 500, "a failure of the server's own"},
}};

// The row of `c`; none has none (it is the table's first, bad_request,
// rather than out of bounds: ask ok() first).
constexpr const proto_code_info& info(proto_code c) noexcept {
  auto i = static_cast<std::size_t>(c);
  return proto_codes[i < proto_codes.size() ? i : 0];
}

// The wire name of `c`; "" for none.
constexpr std::string_view wire(proto_code c) noexcept {
  return c == proto_code::none ? std::string_view{} : info(c).wire;
}

// For CAF's rendering of messages (to_string of a proto_error).
inline std::string to_string(proto_code c) {
  return c == proto_code::none ? "none" : std::string(info(c).wire);
}

// The code of a wire name; nullopt for none of the protocol's.
constexpr std::optional<proto_code> code_of(std::string_view wire) noexcept {
  for (auto& i : proto_codes)
    if (i.wire == wire) return i.code;
  return std::nullopt;
}

// The table is in enum order (info() indexes it).
constexpr bool in_enum_order() noexcept {
  for (std::size_t i = 0; i < proto_codes.size(); ++i)
    if (static_cast<std::size_t>(proto_codes[i].code) != i) return false;
  return true;
}
static_assert(in_enum_order(), "proto_codes must follow proto_code's order");
static_assert(proto_codes.size() == static_cast<std::size_t>(proto_code::none),
              "every proto_code but none has its row in proto_codes");

// `message`, or the code's meaning when it is empty: no error goes out
// without a word of why.
inline std::string default_message(proto_code c, std::string message) {
  if (message.empty() && c != proto_code::none)
    message = std::string(info(c).meaning);
  return message;
}

}  // namespace switchboard::common
