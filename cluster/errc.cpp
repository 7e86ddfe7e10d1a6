#include "cluster/errc.hpp"

namespace switchboard::cluster {

std::string_view to_string(errc e) noexcept {
  switch (e) {
    case errc::invalid_argument:
      return "invalid_argument";
    case errc::unreachable:
      return "unreachable";
    case errc::timeout:
      return "timeout";
    case errc::io_error:
      return "io_error";
    case errc::server_error:
      return "server_error";
    case errc::lease_not_found:
      return "lease_not_found";
    case errc::compacted:
      return "compacted";
    case errc::bad_response:
      return "bad_response";
    case errc::already_exists:
      return "already_exists";
    case errc::conflict:
      return "conflict";
  }
  return "unknown";
}

}  // namespace switchboard::cluster
