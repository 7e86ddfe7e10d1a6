#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "net/http_types.hpp"

namespace switchboard::actors {
class node;
}
namespace switchboard::auth {
class revocation_list;
}
namespace switchboard::metrics {
struct node_metrics;
}
namespace switchboard::push {
class service;
}
namespace switchboard::storage {
class store;
}

namespace switchboard::admin {

// What the admin API reads and acts on. Every pointer outlives the API.
struct admin_context {
  std::string node_id;
  std::string version;
  std::string durability;
  std::string data_dir;
  std::string admin_token;  // required as "Authorization: Bearer ..."
  std::string jwt_secret;   // for the token command
  std::string secret_file;  // DATA_DIR/jwt_secret when the secret came from it
  std::chrono::steady_clock::time_point started;
  actors::node* node = nullptr;
  storage::store* store = nullptr;
  metrics::node_metrics* metrics = nullptr;
  auth::revocation_list* revoked = nullptr;  // admin revoke USER
  push::service* push = nullptr;           // null: no push provider configured
  std::function<double()> messages_per_s;  // over the last minute
  std::function<void(std::string)> set_log_level;
  std::function<void()> drain;  // the SIGTERM drain
  // The cluster (app/cluster_node), each answering a JSON object as text;
  // all empty on a standalone node. They block: the API calls them on its
  // own thread.
  struct cluster_views {
    std::function<std::string()> nodes;
    std::function<std::string()> shards;
    std::function<std::string(const std::string& id)> where;
    std::function<std::string(bool dry_run)> rebalance;
    // Hands the leadership of a shard to a node with a copy in sync.
    std::function<net::http_response(std::uint32_t shard,
                                     const std::string& node)>
        transfer;
    // `req` answered by the node that owns the shard of `id` (this one
    // too, through the same path), or 503 when none can now.
    std::function<net::http_response(const std::string& id,
                                     const net::http_request& req)>
        at_owner;
    // `req` answered by every live node, this one included; a failed
    // answer (status >= 400) names its node in the body's `node_id`.
    std::function<std::vector<net::http_response>(const net::http_request&)>
        at_every_node;
  } cluster{};
};

// The node's admin HTTP/JSON API (docs/operations.md "Admin API"), served
// on its own listener. Blocking work (checkpoint, compact, store reads) runs
// on a thread of its own, never on the Asio thread. Thread-safe.
class admin_api {
 public:
  explicit admin_api(admin_context ctx);
  ~admin_api();  // waits for the work in flight
  admin_api(const admin_api&) = delete;
  admin_api& operator=(const admin_api&) = delete;

  void handle(net::http_request req, net::http_reply reply);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace switchboard::admin
