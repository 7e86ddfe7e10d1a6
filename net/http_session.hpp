#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <memory>

#include "net/server.hpp"

namespace switchboard::net {

// What every connection of a server shares. Immutable once the server runs.
struct session_context {
  server_options options;
  server_handlers handlers;
};

// Starts serving HTTP/1.1 on an accepted socket; the session keeps itself
// alive until the connection ends.
void start_http_session(boost::asio::ip::tcp::socket socket,
                        std::shared_ptr<const session_context> ctx);

}  // namespace switchboard::net
