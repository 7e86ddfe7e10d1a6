#pragma once

#include <string_view>

namespace switchboard::cluster {

// Every error the cluster layer reports. No Beast, Asio or Boost.JSON error
// type and no exception leaves cluster/: each is mapped to one of these, with
// its text kept as the message.
enum class errc {
  // The caller passed something the client cannot send: a malformed
  // endpoint URL, an empty key, a non-positive TTL. Nothing was sent.
  invalid_argument = 1,
  // No endpoint could be connected (resolution failed, connection refused or
  // not established in time, on every endpoint). Nothing was sent, so the
  // call can be repeated safely.
  unreachable,
  // The request's deadline passed after it may have been sent. A write may
  // or may not have been applied: read before repeating a non-idempotent
  // one (a txn is safe to repeat, its compares decide).
  timeout,
  // The connection broke after the request was sent (reset, closed before
  // a whole answer). As for `timeout`, the write may have been applied.
  io_error,
  // etcd answered with an error: a non-2xx status or an error object
  // (etcd's gRPC code and text are in the message).
  server_error,
  // The lease does not exist (never granted, revoked or expired): a revoke
  // or keepalive of it, or a put under it.
  lease_not_found,
  // The watch's start revision has been compacted away; the message holds
  // the compact revision. Read the current state and watch from there.
  compacted,
  // An answer could not be understood: not JSON, a field of the wrong type,
  // a number out of range, invalid base64.
  bad_response,
  // What is to be created exists already and is someone else's: a node id
  // that is live (registered under another node's lease).
  already_exists,
  // A record changed since the caller read it: a txn's compare on its
  // mod_revision (or on its absence) failed. Read it again and decide anew.
  conflict,
};

// A short stable name for logs and tests, e.g. "unreachable".
std::string_view to_string(errc e) noexcept;

}  // namespace switchboard::cluster
