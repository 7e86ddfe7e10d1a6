#pragma once

// The socket and timer types of net/: bound to one io_context's executor,
// not to Asio's type-erased any_io_executor. Each connection lives on one
// I/O thread's io_context (server.cpp), so its handlers never run
// concurrently and need no strand, and copying its executor is copying a
// pointer instead of a reference-counted, type-erased strand (which took
// about 15 % of the I/O thread in the direct benchmark). Internal to net/.

#include <boost/asio/basic_stream_socket.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>

namespace switchboard::net {

using io_executor = boost::asio::io_context::executor_type;
using socket_type =
    boost::asio::basic_stream_socket<boost::asio::ip::tcp, io_executor>;
using timer_type = boost::asio::basic_waitable_timer<
    std::chrono::steady_clock,
    boost::asio::wait_traits<std::chrono::steady_clock>, io_executor>;

}  // namespace switchboard::net
