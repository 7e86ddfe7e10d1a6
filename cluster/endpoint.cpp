#include "cluster/endpoint.hpp"

#include <charconv>

namespace switchboard::cluster {

namespace {

error bad(std::string_view entry, std::string_view why) {
  return {errc::invalid_argument,
          "etcd endpoint '" + std::string(entry) + "': " + std::string(why)};
}

result<endpoint> parse_one(std::string_view entry) {
  std::string_view rest = entry;
  if (rest.substr(0, 8) == "https://")
    return bad(entry, "TLS is not supported; use http://");
  if (rest.substr(0, 7) == "http://") rest.remove_prefix(7);
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find('/') != std::string_view::npos)
    return bad(entry, "a path is not allowed");
  endpoint ep;
  std::string_view port;
  if (!rest.empty() && rest.front() == '[') {
    auto close = rest.find(']');
    if (close == std::string_view::npos) return bad(entry, "no closing ']'");
    ep.host = std::string(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return bad(entry, "junk after ']'");
      port = rest.substr(1);
      if (port.empty()) return bad(entry, "an empty port");
    }
  } else {
    auto colon = rest.find(':');
    ep.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = rest.substr(colon + 1);
      if (port.empty()) return bad(entry, "an empty port");
    }
  }
  if (ep.host.empty()) return bad(entry, "no host");
  if (!port.empty()) {
    unsigned n = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
    if (ec != std::errc() || end != port.data() + port.size() || n == 0 ||
        n > 65535)
      return bad(entry, "the port is not a number in 1..65535");
    ep.port = static_cast<std::uint16_t>(n);
  }
  return ep;
}

}  // namespace

std::string endpoint::url() const {
  bool v6 = host.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + host + "]" : host) + ":" +
         std::to_string(port);
}

result<std::vector<endpoint>> parse_endpoints(std::string_view list) {
  std::vector<endpoint> out;
  while (!list.empty()) {
    auto comma = list.find(',');
    auto entry = list.substr(0, comma);
    while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
    while (!entry.empty() && entry.back() == ' ') entry.remove_suffix(1);
    if (entry.empty()) return bad(entry, "an empty entry in the list");
    auto ep = parse_one(entry);
    if (!ep) return ep.err();
    out.push_back(std::move(*ep));
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
    if (list.empty()) return bad(list, "an empty entry in the list");
  }
  if (out.empty()) return bad(list, "no endpoint given");
  return out;
}

}  // namespace switchboard::cluster
