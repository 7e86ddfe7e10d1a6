#pragma once

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

// The query of a request target ("/path?a=1&b=x%20y"), percent-decoded.
std::map<std::string, std::string> parse_query(std::string_view target);

}  // namespace switchboard::rest
