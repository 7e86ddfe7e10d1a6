#pragma once

#include <string>

#include "auth/jwt.hpp"
#include "net/http_types.hpp"

namespace switchboard::rest {

// POST /v1/dev/login {"user_id":"alice"} -> 200 {user_id, token,
// expires_at}: a token for any user, no password. For trying a node out
// (the browser page's sign-in) on a node started with --dev-login, which
// the node allows only on a loopback address. When `enabled` is false the
// path answers 403 with a message that says how to turn it on. Even when
// enabled, it answers only a loopback peer that names a loopback Host and,
// when it sends an Origin, the node's own (http://HOST): a page on another
// site, or one reached through a DNS name rebound to 127.0.0.1, gets 403.
//
// Returns false when `req` is not for /v1/dev/login.
bool handle_dev_login(bool enabled, const auth::hs256_key& key,
                      const net::http_request& req,
                      const net::http_reply& reply);

}  // namespace switchboard::rest
