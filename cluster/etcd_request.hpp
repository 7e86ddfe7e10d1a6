#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/etcd_types.hpp"

// The JSON bodies of the requests the client sends to etcd v3's gateway:
// pure functions, so that what goes on the wire is tested without a server.
// Keys and values are base64-encoded, numbers written as strings, field
// names as in etcd's protobuf definitions (the gateway takes these and the
// camelCase ones).
namespace switchboard::cluster::etcd_request {

std::string lease_grant(std::int64_t ttl_s);
// The body of both /v3/lease/keepalive and /v3/lease/revoke.
std::string lease_id(std::int64_t id);
std::string put(std::string_view key, std::string_view value,
                std::int64_t lease);
// `range_end` empty: `key` alone.
std::string range(std::string_view key, std::string_view range_end);
std::string delete_range(std::string_view key, std::string_view range_end);
std::string txn(const std::vector<compare>& compares,
                const std::vector<txn_op>& success,
                const std::vector<txn_op>& failure);
// The create_request of /v3/watch. `start_revision` 0: from now on.
std::string watch_create(std::string_view key, std::string_view range_end,
                         std::int64_t start_revision);

}  // namespace switchboard::cluster::etcd_request
