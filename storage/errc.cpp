#include "storage/errc.hpp"

namespace switchboard::storage {

std::string_view to_string(errc e) noexcept {
  switch (e) {
    case errc::open_failed:
      return "open_failed";
    case errc::io_error:
      return "io_error";
    case errc::corruption:
      return "corruption";
    case errc::invalid_argument:
      return "invalid_argument";
    case errc::closed:
      return "closed";
    case errc::unavailable:
      return "unavailable";
    case errc::timed_out:
      return "timed_out";
  }
  return "unknown";
}

}  // namespace switchboard::storage
