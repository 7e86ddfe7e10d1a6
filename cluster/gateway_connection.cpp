#include "cluster/gateway_connection.hpp"

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <vector>

#include "cluster/host_lookup.hpp"

namespace switchboard::cluster {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

void run_all(asio::io_context& ioc) {
  ioc.restart();
  ioc.run();
}

namespace {

// The addresses of `ep`, resolved before `deadline`; empty with `why` set
// when that failed.
std::vector<tcp::endpoint> addresses(const endpoint& ep,
                                     gateway_clock::time_point deadline,
                                     std::string& why) {
  boost::system::error_code ec;
  auto literal = asio::ip::make_address(ep.host, ec);
  if (!ec) return {tcp::endpoint(literal, ep.port)};
  static host_lookup lookups;  // one per process: a hung name, one thread
  return lookups.resolve(ep.host, ep.port, deadline, why);
}

}  // namespace

result<std::size_t> connect_any(asio::io_context& ioc,
                                beast::tcp_stream& stream, endpoint_list& list,
                                const etcd_options& options,
                                gateway_clock::time_point deadline) {
  const auto& all = list.all();
  std::size_t start = list.preferred();
  std::string reasons;
  for (std::size_t i = 0; i < all.size(); ++i) {
    std::size_t index = (start + i) % all.size();
    const auto& ep = all[index];
    if (!reasons.empty()) reasons += "; ";
    reasons += ep.url() + ": ";
    auto now = gateway_clock::now();
    if (now >= deadline) {
      reasons += "not tried, the request's time was up";
      continue;
    }
    auto attempt_deadline = std::min(deadline, now + options.connect_timeout);
    std::string why;
    auto addrs = addresses(ep, attempt_deadline, why);
    if (addrs.empty()) {
      reasons += why.empty() ? "no address" : why;
      continue;
    }
    beast::error_code ec;
    stream.expires_at(attempt_deadline);
    stream.async_connect(
        addrs, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
    run_all(ioc);
    if (!ec) {
      list.prefer(index);
      return index;
    }
    reasons += ec == beast::error::timeout ? "connect: timed out"
                                           : "connect: " + ec.message();
  }
  return error{errc::unreachable, "no etcd endpoint reachable: " + reasons};
}

http::request<http::string_body> make_post(const endpoint& ep,
                                           std::string_view target,
                                           std::string body) {
  http::request<http::string_body> req{
      http::verb::post, beast::string_view(target.data(), target.size()), 11};
  req.set(http::field::host, ep.host_port());
  req.set(http::field::content_type, "application/json");
  req.body() = std::move(body);
  req.prepare_payload();
  return req;
}

error stream_failure(const beast::error_code& ec, const endpoint& ep,
                     std::string_view target, std::string_view stage) {
  auto where = ep.url() + std::string(target) + ": " + std::string(stage);
  if (ec == beast::error::timeout)
    return {errc::timeout, where + ": timed out"};
  return {errc::io_error, where + ": " + ec.message()};
}

}  // namespace switchboard::cluster
