#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <memory>
#include <string>
#include <vector>

#include "net/http_session.hpp"
#include "net/socket.hpp"

namespace switchboard::net {

// Completes the WebSocket handshake of `req` on `socket` for the
// authenticated `user` (connected from `remote`), then serves the connection:
// frames go to the handler that handlers.open_websocket returns; the actors
// write back through the session's client_connection. Keeps itself alive.
void start_ws_session(
    socket_type socket,
    boost::beast::http::request<boost::beast::http::string_body> req,
    std::string user, std::shared_ptr<const session_context> ctx,
    std::string remote, std::vector<connection_limits::slot> slots);

}  // namespace switchboard::net
