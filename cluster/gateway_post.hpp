#pragma once

#include <string>
#include <string_view>

#include "cluster/endpoint_list.hpp"
#include "cluster/etcd_options.hpp"
#include "cluster/result.hpp"

namespace switchboard::cluster {

// An HTTP answer of the gateway, whatever its status.
struct http_answer {
  unsigned status = 0;
  std::string body;
};

// POSTs `body` to `target` (e.g. "/v3/kv/put") on the first endpoint of
// `list` that accepts a connection, on a connection of its own (closed
// after the answer), and waits for the answer: all within
// options.request_timeout. Blocks the calling thread; thread-safe. Only a
// failed connection moves on to the next endpoint: once the request may
// have been sent, a failure is errc::timeout or errc::io_error, never
// repeated elsewhere. Internal to cluster/.
result<http_answer> gateway_post(endpoint_list& list,
                                 const etcd_options& options,
                                 std::string_view target, std::string body);

}  // namespace switchboard::cluster
