#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "actors/limits.hpp"
#include "net/server.hpp"
#include "storage/store.hpp"

namespace switchboard::app {

// Everything `switchboard serve` can be told. Each option has one name: the
// flag `--max-body`, the environment variable `SWITCHBOARD_MAX_BODY`, the
// top-level key `max_body` of the TOML file given by --config.
struct config {
  std::string listen = "127.0.0.1:7070";
  std::string data_dir = "./data";
  std::string durability = "sync";
  std::string jwt_secret;  // empty: DATA_DIR/jwt_secret
  std::string admin_listen = "127.0.0.1:7071";
  std::string admin_token;  // empty: DATA_DIR/admin_token
  std::string node_id = "n1";
  int scheduler_threads = 1;
  int io_threads = 2;
  int net_threads = 1;
  std::string log_level = "info";
  bool dev_login = false;  // POST /v1/dev/login; loopback listeners only
  std::string web_root;    // empty: default_web_root()
  int shutdown_timeout_s = 10;
  std::size_t max_connections = 0;  // TCP; 0: from the descriptor budget
  std::size_t max_connections_per_address = 1024;
  std::size_t max_connections_per_user = 32;  // WebSockets
  int http_timeout_s = 10;
  int token_leeway_s = 60;  // clock skew allowed on exp/nbf/iat
  long long token_max_lifetime_s = 2592000;  // 30 days; 0: no limit
  // The cluster (docs/cluster.md). Without `etcd` a standalone node.
  std::string etcd;                               // "http://HOST:PORT,..."
  std::string cluster = "switchboard";            // etcd key prefix
  std::string cluster_listen = "127.0.0.1:7072";  // CAF's middleman
  std::uint32_t shards = 0;  // when the cluster is created; 0: 256
  int lease_ttl_s = 5;       // membership lease
  // Push notifications (docs/push.md).
  long long push_grace_ms = 10000;
  bool push_preview = false;     // ids only
  std::string push_gateway_url;  // empty: the gateway provider is off
  std::string push_gateway_app_id;
  std::string fcm_credentials;  // a file; empty: FCM is off
  std::string fcm_url = "https://fcm.googleapis.com";
  std::string webpush_vapid_key;  // a file; empty: Web Push is off
  std::string webpush_subject;
  bool webpush_allow_private = false;  // http: and private addresses too
  std::string apns_key;                // a .p8 file; empty: APNs is off
  std::string apns_key_id;
  std::string apns_team_id;
  std::string apns_topic;
  std::string apns_url = "https://api.push.apple.com";
  std::string push_ca_file;  // empty: the system's authorities
  // Copies of each shard and the in-sync copies a write needs, when the
  // cluster is created; 0: 3 and 2 (docs/cluster.md "Replicas, in-sync copies
  // and failover").
  std::uint32_t replicas = 0;
  std::uint32_t min_insync = 0;
  actors::limits lim;

  // cluster_listen as host and port; throws std::invalid_argument.
  std::pair<std::string, std::uint16_t> cluster_host_port() const;
  net::server_options server_options() const;
  // The admin listener's options; throws std::invalid_argument when
  // admin_listen is not HOST:PORT.
  net::server_options admin_server_options() const;
  storage::store_options store_options() const;
};

struct option_info {
  std::string name;  // flag name without "--"
  std::string help;
  std::string default_value;
};

// Every option, for --help.
std::vector<option_info> options_table();

// Applies the TOML file of --config (or SWITCHBOARD_CONFIG), then the
// SWITCHBOARD_* variables of `env`, then the other flags: file < env < flag.
// Throws std::invalid_argument naming the key, variable or flag for an
// unknown one or a bad value.
config load_config(const std::map<std::string, std::string>& flags,
                   const std::map<std::string, std::string>& env);

// The process's SWITCHBOARD_* variables.
std::map<std::string, std::string> switchboard_env();

// "max-body" -> "SWITCHBOARD_MAX_BODY"
std::string env_name(const std::string& option);

}  // namespace switchboard::app
