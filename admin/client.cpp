#include "admin/client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace switchboard::admin {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

client::client(std::string host, std::uint16_t port, std::string token,
               std::chrono::seconds timeout)
    : host_(std::move(host)),
      port_(port),
      token_(std::move(token)),
      timeout_(timeout) {}

client::response client::call(const std::string& method,
                              const std::string& target,
                              const std::string& body) {
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  beast::error_code ec;
  tcp::resolver resolver(ioc);
  auto endpoints = resolver.resolve(host_, std::to_string(port_), ec);
  if (ec) return {0, "cannot resolve " + address() + ": " + ec.message()};
  // Beast's deadlines hold for asynchronous operations only: each step is
  // one, run to its end, all within one deadline for the whole call, so a
  // node that accepts and never answers cannot hold the shell.
  auto finish = [&] {
    ioc.restart();
    ioc.run();
  };
  stream.expires_after(timeout_);
  stream.async_connect(
      endpoints, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
  finish();
  if (ec)
    return {0, "cannot reach the node at " + address() + ": " + ec.message()};
  http::request<http::string_body> req(http::string_to_verb(method), target,
                                       11);
  req.set(http::field::host, host_);
  req.set(http::field::authorization, "Bearer " + token_);
  if (!body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = body;
  }
  req.prepare_payload();
  http::async_write(stream, req,
                    [&](beast::error_code e, std::size_t) { ec = e; });
  finish();
  if (ec)
    return {0, "cannot talk to the node at " + address() + ": " + ec.message()};
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::async_read(stream, buf, res,
                   [&](beast::error_code e, std::size_t) { ec = e; });
  finish();
  if (ec)
    return {0, "no answer from the node at " + address() + ": " + ec.message()};
  return {static_cast<int>(res.result_int()), res.body()};
}

}  // namespace switchboard::admin
