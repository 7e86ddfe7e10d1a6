#pragma once

#include <memory>
#include <string>

#include "auth/token_verifier.hpp"
#include "net/server.hpp"

namespace switchboard::app {

// Authenticates a WebSocket upgrade by its token: `Authorization: Bearer
// TOKEN` or `?token=TOKEN`, checked by `tokens`, which must outlive the
// authenticator.
net::authenticator token_authenticator(const auth::token_verifier& tokens);

// The token of a request, or "" when it has none.
std::string request_token(const net::http_request& req);

}  // namespace switchboard::app
