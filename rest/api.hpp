#pragma once

#include <string>

namespace switchboard::auth {
class token_verifier;
}
#include "net/http_types.hpp"

namespace switchboard::actors {
class node;
}

namespace switchboard::rest {

// What the API checks as this node is configured.
struct api_options {
  // POST /v1/devices takes webpush endpoints that are http: URLs
  // (--webpush-allow-private); off: https: only.
  bool webpush_allow_private = false;
};

// The REST API of PROTOCOL.md ("REST"): /v1/conversations...,
// /v1/presence, /v1/devices. Every call is authenticated by the same
// HS256 token as the WebSocket, then carried out by node::request, the code
// path of WebSocket frames. Errors are {"error":{"code","message"}} with
// the protocol's HTTP statuses. `rt` must outlive the handler.
//
// Returns false when `req` is not a REST path (so the caller answers it).
bool handle(actors::node& rt, const auth::token_verifier& tokens,
            const api_options& opts, const net::http_request& req,
            const net::http_reply& reply);

}  // namespace switchboard::rest
