#pragma once

#include <string_view>

#include "cluster/etcd_types.hpp"
#include "cluster/result.hpp"

// The parsers of etcd v3's JSON gateway answers (etcd 3.4.23): pure
// functions from the bytes of an HTTP body, or of one line of a watch
// stream, to the values of etcd_types.hpp. What the gateway does that they
// undo:
// - keys and values are base64 (etcd_bytes.hpp);
// - every 64-bit number (revision, lease ID, TTL, count) is a JSON string
//   of decimal digits; a JSON number is accepted too;
// - a field with its zero value is left out: a failed txn has no
//   `succeeded`, a PUT watch event no `type`, a keepalive of an expired
//   lease no `TTL`, an empty range no `kvs`. An absent field reads as 0,
//   false or empty.
// Unknown fields are ignored. Anything else unexpected (not JSON, a field of
// the wrong type, a number out of range, bad base64) is errc::bad_response
// with the field named in the message: never an exception or a crash, for
// any input (fuzz/etcd_json_fuzz.cpp).
namespace switchboard::cluster::etcd_json {

// POST /v3/lease/grant.
result<lease_grant_result> parse_lease_grant(std::string_view body);

// POST /v3/lease/keepalive, whose answer is wrapped in {"result":...}. A
// lease that no longer exists is answered without a TTL: errc::
// lease_not_found.
result<lease_keepalive_result> parse_lease_keepalive(std::string_view body);

// POST /v3/lease/revoke, /v3/kv/put: only a header.
result<response_header> parse_header_only(std::string_view body);

// POST /v3/kv/range.
result<range_result> parse_range(std::string_view body);

// POST /v3/kv/deleterange.
result<delete_result> parse_delete_range(std::string_view body);

// POST /v3/kv/txn.
result<txn_result> parse_txn(std::string_view body);

// One line of POST /v3/watch: {"result":{...}}, or {"error":{...}} when the
// stream failed (errc::server_error). A response canceled because its start
// revision was compacted is a value with `canceled` and `compact_revision`;
// the caller decides what that means.
result<watch_response> parse_watch_line(std::string_view line);

// The error an answer with a non-2xx HTTP status stands for. The gateway
// sends {"error":"...","message":"...","code":N} (N a gRPC code); a lease
// that does not exist is errc::lease_not_found, anything else (also a body
// that is not such an object) errc::server_error with status and text.
error parse_error(unsigned http_status, std::string_view body);

}  // namespace switchboard::cluster::etcd_json
