#pragma once

// Internal to cluster/, and the only header of it with Beast's types: the
// connection to one of the gateway's endpoints that both the unary calls
// (gateway_post.cpp) and the watch stream (etcd_watch.cpp) use.
#include <boost/asio/io_context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "cluster/endpoint_list.hpp"
#include "cluster/etcd_options.hpp"
#include "cluster/result.hpp"

namespace switchboard::cluster {

using gateway_clock = std::chrono::steady_clock;

// Runs `ioc` until it has no more work, ready to be run again.
void run_all(boost::asio::io_context& ioc);

// Connects `stream` (on `ioc`) to the first endpoint of `list` that accepts,
// starting with the preferred one and going round once; each attempt within
// options.connect_timeout, all before `deadline`. The one that accepted
// becomes the preferred one, and its index is returned. errc::unreachable
// when none accepted (nothing was sent anywhere), with each endpoint's
// reason. A host name is resolved by the system resolver on a thread of
// its own (host_lookup), waited for until the attempt's deadline.
result<std::size_t> connect_any(boost::asio::io_context& ioc,
                                boost::beast::tcp_stream& stream,
                                endpoint_list& list,
                                const etcd_options& options,
                                gateway_clock::time_point deadline);

// A POST of `body` (JSON) to `target` on `ep`.
boost::beast::http::request<boost::beast::http::string_body> make_post(
    const endpoint& ep, std::string_view target, std::string body);

// The error of a failed read or write after connecting: errc::timeout when
// the stream's deadline passed, errc::io_error otherwise.
error stream_failure(const boost::beast::error_code& ec, const endpoint& ep,
                     std::string_view target, std::string_view stage);

}  // namespace switchboard::cluster
