#pragma once

#include <memory>
#include <string>

#include "auth/jwt.hpp"
#include "net/server.hpp"

namespace switchboard::app {

// Authenticates a WebSocket upgrade by its token: `Authorization: Bearer
// TOKEN` or `?token=TOKEN`, an HS256 JWT signed with `key`.
net::authenticator token_authenticator(
    std::shared_ptr<const auth::hs256_key> key);

// The token of a request, or "" when it has none.
std::string request_token(const net::http_request& req);

}  // namespace switchboard::app
