#pragma once

#include <caf/meta/type_name.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/proto_errors.hpp"

namespace switchboard::actors {

using common::proto_code;

// A protocol error (PROTOCOL.md "Errors"): a code of the one table
// (common/proto_errors.hpp), none for success. Its own header, so that
// the layers above the actors (REST, admin, app) can name it without
// CAF's whole API (messages.hpp, caf/all.hpp).
struct proto_error {
  proto_code code = proto_code::none;
  std::string message;
  std::int64_t retry_after_ms = 0;  // rate_limited; unavailable, when known

  bool ok() const noexcept { return code == proto_code::none; }
  // The code's wire name ("" when ok): the frame's and body's "code", the
  // metric's label.
  std::string_view wire() const noexcept { return common::wire(code); }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, proto_error& x) {
  return f(caf::meta::type_name("proto_error"), x.code, x.message,
           x.retry_after_ms);
}

}  // namespace switchboard::actors
