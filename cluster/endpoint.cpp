#include "cluster/endpoint.hpp"

// Boost.URL parses each entry and prints endpoint::url() and host_port().
// The port's digits are still read with std::from_chars: 1.81's
// url_view::port_number() wraps some values above 65535 (99999 gives 34463)
// instead of reporting them.
#include <boost/url/host_type.hpp>
#include <boost/url/ipv4_address.hpp>
#include <boost/url/ipv6_address.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/scheme.hpp>
#include <boost/url/url.hpp>
#include <boost/url/url_view.hpp>
#include <charconv>

namespace switchboard::cluster {

namespace urls = boost::urls;

namespace {

error bad(std::string_view entry, std::string_view why) {
  return {errc::invalid_argument,
          "etcd endpoint '" + std::string(entry) + "': " + std::string(why)};
}

result<endpoint> parse_one(std::string_view entry) {
  // HOST[:PORT] without a scheme is http://HOST[:PORT].
  std::string text(entry);
  if (entry.find("://") == std::string_view::npos) text = "http://" + text;
  auto parsed = urls::parse_uri({text.data(), text.size()});
  if (!parsed)
    return bad(entry, "not of the form http://HOST[:PORT] (" +
                          parsed.error().message() + ")");
  const urls::url_view& u = *parsed;
  if (u.scheme_id() == urls::scheme::https)
    return bad(entry, "TLS is not supported; use http://");
  if (u.scheme_id() != urls::scheme::http)
    return bad(entry, "only http:// is supported");
  if (u.has_userinfo()) return bad(entry, "user info is not allowed");
  std::string_view path(u.encoded_path().data(), u.encoded_path().size());
  if (!path.empty() && path != "/") return bad(entry, "a path is not allowed");
  if (u.has_query() || u.has_fragment())
    return bad(entry, "a query or fragment is not allowed");
  endpoint ep;
  switch (u.host_type()) {
    case urls::host_type::name:
    case urls::host_type::ipv4:
    case urls::host_type::ipv6:  // without its brackets
      ep.host = u.host_address();
      break;
    case urls::host_type::ipvfuture:
      return bad(entry, "not an IPv4 or IPv6 address or a host name");
    case urls::host_type::none:
      break;
  }
  if (ep.host.empty()) return bad(entry, "no host");
  if (u.has_port()) {
    auto port = u.port();
    if (port.empty()) return bad(entry, "an empty port");
    unsigned n = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
    if (ec != std::errc() || end != port.data() + port.size() || n == 0 ||
        n > 65535)
      return bad(entry, "the port is not a number in 1..65535");
    ep.port = static_cast<std::uint16_t>(n);
  }
  return ep;
}

// http://host:port of `ep`: an IPv6 address in brackets, an IPv4 address
// as it is, any other host as a name (percent-encoded where it must be).
urls::url as_url(const endpoint& ep) {
  urls::url u;
  u.set_scheme_id(urls::scheme::http);
  urls::string_view host(ep.host.data(), ep.host.size());
  if (auto v6 = urls::parse_ipv6_address(host))
    u.set_host_ipv6(*v6);
  else if (auto v4 = urls::parse_ipv4_address(host))
    u.set_host_ipv4(*v4);
  else
    u.set_host_name(host);
  u.set_port_number(ep.port);
  return u;
}

}  // namespace

std::string endpoint::url() const {
  auto u = as_url(*this);
  return std::string(u.buffer().data(), u.buffer().size());
}

std::string endpoint::host_port() const {
  auto u = as_url(*this);
  auto s = u.encoded_host_and_port();
  return std::string(s.data(), s.size());
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
