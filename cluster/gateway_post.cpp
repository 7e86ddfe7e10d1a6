#include "cluster/gateway_post.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "cluster/gateway_connection.hpp"

namespace switchboard::cluster {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

result<http_answer> gateway_post(endpoint_list& list,
                                 const etcd_options& options,
                                 std::string_view target, std::string body) {
  // An io_context per call: calls from several threads never share state
  // but the endpoint preference, and nothing outlives the call.
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  auto deadline = gateway_clock::now() + options.request_timeout;
  auto index = connect_any(ioc, stream, list, options, deadline);
  if (!index) return index.err();
  const auto& ep = list.all()[*index];

  auto req = make_post(ep, target, std::move(body));
  req.keep_alive(false);
  beast::error_code ec;
  stream.expires_at(deadline);
  http::async_write(stream, req,
                    [&](beast::error_code e, std::size_t) { ec = e; });
  run_all(ioc);
  if (ec) return stream_failure(ec, ep, target, "send");

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(options.max_response_bytes);
  http::async_read(stream, buffer, parser,
                   [&](beast::error_code e, std::size_t) { ec = e; });
  run_all(ioc);
  if (ec) return stream_failure(ec, ep, target, "answer");

  // The answer is complete; a failed shutdown changes nothing.
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  auto& res = parser.get();
  return http_answer{res.result_int(), std::move(res.body())};
}

}  // namespace switchboard::cluster
