// Fuzzes the HTTP request path up to the handler, without a socket: bytes
// from a client, parsed by Beast's request parser as net/http_session.cpp
// configures it (the server's body limit, Beast's default header limit, a
// buffer kept across pipelined requests on one connection), then what the
// session does with a parsed request: the WebSocket upgrade check or the
// REST route of the target and method (rest/route.hpp).
//
// The first byte is the size of the first reads the "socket" delivers
// (1..256 bytes), so that the parser also sees headers and bodies split
// anywhere.
#include <algorithm>
#include <boost/assert.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "fuzz/invariant.hpp"
#include "net/server.hpp"
#include "rest/route.hpp"

namespace {

using switchboard::fuzz::invariant;
namespace beast = boost::beast;
namespace http = beast::http;
namespace rest = switchboard::rest;

// The bytes of one connection, delivered `read_size` at a time, the size
// doubling every 64 reads: a parser step costs about as much as a few
// hundred bytes, so byte-wise reads made an 8 KiB input ten times slower
// to run, and the fuzzer, which keeps small reads for the splits they
// reach, slowed down tenfold. Splits stay fine early in the stream, where
// a seed's header can move any part of a message.
struct connection {
  std::string_view bytes;
  std::size_t read_size = 1;
  int reads = 0;

  bool read(beast::flat_buffer& buffer) {
    if (bytes.empty()) return false;
    auto n = std::min(read_size, bytes.size());
    auto space = buffer.prepare(n);
    std::memcpy(space.data(), bytes.data(), n);
    buffer.commit(n);
    bytes.remove_prefix(n);
    if (++reads % 64 == 0) read_size *= 2;
    return true;
  }
};

// What http::async_read does with a parser: feeds it the buffer, reads more
// when it needs more; at the end of the stream, tells the parser if it has
// seen a part of a message (put_eof's precondition), else ends the stream.
beast::error_code read_request(connection& conn, beast::flat_buffer& buffer,
                               http::request_parser<http::string_body>& p) {
  auto end_of_stream = [&p] {
    if (!p.got_some()) return beast::error_code(http::error::end_of_stream);
    beast::error_code ec;
    p.put_eof(ec);
    return ec;
  };
  beast::error_code ec;
  while (!p.is_done()) {
    if (buffer.size() == 0 && !conn.read(buffer)) return end_of_stream();
    auto used = p.put(buffer.data(), ec);
    buffer.consume(used);
    if (ec == http::error::need_more) {
      ec = {};
      if (!conn.read(buffer)) return end_of_stream();
      continue;
    }
    if (ec) return ec;
  }
  return ec;
}

// The routing of a parsed request, with the properties handlers rely on.
void route_request(const http::request<http::string_body>& req) {
  std::string target(req.target());
  std::string method(req.method_string());
  if (beast::websocket::is_upgrade(req)) {
    auto path = target.substr(0, target.find('?'));
    (void)(path == "/v1/ws");  // the session's whole check of the path
    return;
  }
  auto r = rest::match_route(target);
  if (!r) return;
  invariant(target.rfind("/v1/", 0) == 0, "a route is under /v1/");
  auto allowed = r->allowed();
  invariant(!allowed.empty(), "a route allows some method");
  if (r->allows(method))
    invariant(allowed.find(method) != std::string::npos,
              "an allowed method is in the Allow header");
  for (const auto& [name, value] : r->params)
    invariant(r->query(name) == value, "a query parameter is found by name");
  invariant(r->param.size() <= target.size(), "percent-decoding shrinks");
}

}  // namespace

// Built with BOOST_ENABLE_ASSERT_HANDLER (CMakeLists.txt), so that Beast's
// assertions are checked here as in a debug build, less one: Boost 1.81's
// chunk parser asserts at least 5 bytes when it re-enters the last chunk,
// but "0\r\n" then one byte is a valid way for a client to send it. The
// code after the assertion asks for more, as it should (boostorg/beast pull
// request 2861 corrects the assertion); our builds define NDEBUG.
void boost::assertion_failed(const char* expr, const char* function,
                             const char* file, long line) {
  if (std::string_view(expr) == "n >= 5" &&
      std::string_view(function).find("parse_chunk_header") !=
          std::string_view::npos)
    return;
  std::fprintf(stderr, "%s:%ld: %s: assertion '%s' failed\n", file, line,
               function, expr);
  std::abort();
}

void boost::assertion_failed_msg(const char* expr, const char* msg,
                                 const char* function, const char* file,
                                 long line) {
  std::fprintf(stderr, "%s:%ld: %s: assertion '%s' failed: %s\n", file, line,
               function, expr, msg);
  std::abort();
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  static const switchboard::net::server_options options{};
  if (size == 0) return 0;
  connection conn{
      std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1),
      std::size_t{data[0]} + 1};
  beast::flat_buffer buffer;  // the session's, kept across requests
  // A keep-alive connection is read request after request, each with a new
  // parser; the session stops at the first error.
  for (int requests = 0; requests < 8; ++requests) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(options.max_request_body);
    auto ec = read_request(conn, buffer, parser);
    if (ec) return 0;
    auto& req = parser.get();
    invariant(req.body().size() <= options.max_request_body,
              "a body within the limit");
    route_request(req);
    if (!req.keep_alive()) return 0;
  }
  return 0;
}
