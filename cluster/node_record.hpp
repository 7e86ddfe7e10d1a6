#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "cluster/result.hpp"

namespace switchboard::cluster {

// What a live node publishes about itself at `/<cluster>/nodes/<id>`
// (docs/ARCHITECTURE.md "cluster/"), under its lease. Plain data.
struct node_record {
  std::string id;            // configured, unique among live nodes
  std::string cluster_addr;  // "host:port" of the CAF (BASP) port
  std::string client_addr;   // "host:port" where clients connect
  std::string admin_addr;    // "host:port" of /metrics, /readyz, admin
  // Unique per start of the node: the id of the lease it registered with,
  // so peers that see another incarnation know the node restarted.
  std::int64_t incarnation = 0;
  std::string version;          // the node's software version
  std::int64_t started_ms = 0;  // Unix time of the start, milliseconds
};

// The record as the value stored in etcd: a JSON object with the fields
// above; the int64 fields are JSON numbers, written exactly (a lease id
// exceeds 2^53: read it as an integer, not a double).
std::string encode_node(const node_record& n);

// The record in `value`; errc::bad_response naming the field when it is not
// such an object or has no id. Unknown fields are ignored; a number given
// as a string of digits is accepted too. Never throws.
result<node_record> decode_node(std::string_view value);

}  // namespace switchboard::cluster
