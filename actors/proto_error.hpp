#pragma once

#include <caf/meta/type_name.hpp>
#include <cstdint>
#include <string>

namespace switchboard::actors {

// A protocol error (PROTOCOL.md "Errors"); an empty code means success.
// Its own header, so that the layers above the actors (REST, admin, app)
// can name it without CAF's whole API (messages.hpp, caf/all.hpp).
struct proto_error {
  std::string code;
  std::string message;
  std::int64_t retry_after_ms = 0;  // rate_limited; unavailable, when known

  bool ok() const noexcept { return code.empty(); }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, proto_error& x) {
  return f(caf::meta::type_name("proto_error"), x.code, x.message,
           x.retry_after_ms);
}

}  // namespace switchboard::actors
