#pragma once

#include <cstddef>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::rest {

enum class route_kind {
  conversations,  // /v1/conversations                    GET, POST
  messages,       // /v1/conversations/{id}/messages      GET, POST
  members,        // /v1/conversations/{id}/members       POST
  read,           // /v1/conversations/{id}/read          POST
  receipts,       // /v1/conversations/{id}/receipts      GET
  presence,       // /v1/presence                         GET
  devices,        // /v1/devices                          GET, POST
  device,         // /v1/devices/{token}                  DELETE
};

// A request target matched against the REST paths.
struct route {
  route_kind kind;
  std::string param;  // {id} or {token}, percent-decoded
  std::map<std::string, std::string> params;  // the query, percent-decoded

  std::optional<std::string> query(const std::string& name) const;
  bool allows(const std::string& method) const;
  std::string allowed() const;  // for the Allow header, e.g. "GET, POST"
};

// nullopt when `target` is no REST path.
std::optional<route> match_route(const std::string& target);

// `s` with its %XX escapes decoded (Boost.URL); `plus_is_space` (a
// query's, as HTML forms write it): '+' is a space too. In a path '+' is
// itself (a device token may hold one). `s` with a malformed escape is
// returned as it is.
std::string percent_decode(std::string_view s, bool plus_is_space = false);

// The path of a request target split at '/', each part percent-decoded,
// the query left out: "/v1/users/a%20b?x=1" -> {"v1", "users", "a b"}. The
// admin API's routing uses it too.
std::vector<std::string> split_path(std::string_view target);

// Whether `parts` (a path split by split_path), from its part `first` on,
// is `pattern`: as many parts, each equal to the pattern's, where "*"
// matches any one part, an empty one too. The one path matcher of the node:
// the REST paths, the admin API's ("admin", "v1" skipped with `first` = 2)
// and the operational ones use it. With parts {"v1", "devices", "t1"},
// {"v1", "devices", "*"} matches; {"v1", "devices"} (a part fewer) and
// {"v1", "users", "*"} do not.
bool matches(const std::vector<std::string>& parts,
             std::initializer_list<std::string_view> pattern,
             std::size_t first = 0);

// The query of a request target ("/path?a=1&b=x%20y"), percent-decoded.
std::map<std::string, std::string> parse_query(std::string_view target);

}  // namespace switchboard::rest
