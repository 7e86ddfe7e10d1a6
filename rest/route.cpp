#include "rest/route.hpp"

#include <boost/url/encoding_opts.hpp>
#include <boost/url/pct_string_view.hpp>
#include <vector>

namespace switchboard::rest {

std::vector<std::string> split_path(std::string_view target) {
  auto path = target.substr(0, target.find('?'));
  std::vector<std::string> parts;
  std::size_t start = 1;
  while (start <= path.size()) {
    auto slash = path.find('/', start);
    auto end = slash == std::string_view::npos ? path.size() : slash;
    parts.push_back(percent_decode(path.substr(start, end - start)));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return parts;
}

std::string percent_decode(std::string_view s, bool plus_is_space) {
  // Boost.URL checks the escapes and decodes them. A part with one it
  // refuses ("%zz", a lone '%') is kept as it was written: such a name
  // matches nothing, and saying so is the handlers' answer.
  auto pct = boost::urls::make_pct_string_view({s.data(), s.size()});
  if (!pct) return std::string(s);
  boost::urls::encoding_opts opt;
  opt.space_as_plus = plus_is_space;
  return pct->decode(opt);
}

std::optional<std::string> route::query(const std::string& name) const {
  auto it = params.find(name);
  if (it == params.end()) return std::nullopt;
  return it->second;
}

bool route::allows(const std::string& method) const {
  switch (kind) {
    case route_kind::conversations:
    case route_kind::messages:
      return method == "GET" || method == "POST";
    case route_kind::devices:
      return method == "GET" || method == "POST";
    case route_kind::members:
    case route_kind::read:
      return method == "POST";
    case route_kind::presence:
    case route_kind::receipts:
      return method == "GET";
    case route_kind::device:
      return method == "DELETE";
  }
  return false;
}

std::string route::allowed() const {
  switch (kind) {
    case route_kind::conversations:
    case route_kind::messages:
    case route_kind::devices:
      return "GET, POST";
    case route_kind::presence:
    case route_kind::receipts:
      return "GET";
    case route_kind::device:
      return "DELETE";
    default:
      return "POST";
  }
}

bool matches(const std::vector<std::string>& parts,
             std::initializer_list<std::string_view> pattern,
             std::size_t first) {
  // The length first, so that no part past the end is looked at.
  if (first > parts.size() || parts.size() - first != pattern.size())
    return false;
  auto part = parts.begin() + first;
  for (auto want : pattern) {
    if (want != "*" && std::string_view(*part) != want) return false;
    ++part;
  }
  return true;
}

std::optional<route> match_route(const std::string& target) {
  auto q = target.find('?');
  std::string_view path(target.data(),
                        q == std::string::npos ? target.size() : q);
  if (path.rfind("/v1/", 0) != 0) return std::nullopt;
  auto parts = split_path(path);
  route r;
  // A path naming one conversation or device: "*" matches an empty part
  // too, which names none. The name is the route's parameter.
  auto named = [&](std::initializer_list<std::string_view> pattern) {
    if (!matches(parts, pattern) || parts[2].empty()) return false;
    r.param = parts[2];
    return true;
  };
  if (matches(parts, {"v1", "conversations"}))
    r.kind = route_kind::conversations;
  else if (named({"v1", "conversations", "*", "messages"}))
    r.kind = route_kind::messages;
  else if (named({"v1", "conversations", "*", "members"}))
    r.kind = route_kind::members;
  else if (named({"v1", "conversations", "*", "read"}))
    r.kind = route_kind::read;
  else if (named({"v1", "conversations", "*", "receipts"}))
    r.kind = route_kind::receipts;
  else if (matches(parts, {"v1", "presence"}))
    r.kind = route_kind::presence;
  else if (matches(parts, {"v1", "devices"}))
    r.kind = route_kind::devices;
  else if (named({"v1", "devices", "*"}))
    r.kind = route_kind::device;
  else
    return std::nullopt;
  r.params = parse_query(target);
  return r;
}

std::map<std::string, std::string> parse_query(std::string_view target) {
  std::map<std::string, std::string> params;
  auto q = target.find('?');
  if (q == std::string_view::npos) return params;
  auto query = target.substr(q + 1);
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    auto eq = pair.find('=');
    if (eq != std::string_view::npos)
      params[percent_decode(pair.substr(0, eq), true)] =
          percent_decode(pair.substr(eq + 1), true);
    else if (!pair.empty())
      params[percent_decode(pair, true)] = "";
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return params;
}

}  // namespace switchboard::rest
