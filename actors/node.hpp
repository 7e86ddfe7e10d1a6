#pragma once

#include <caf/actor.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "actors/client_connection.hpp"
#include "actors/frame.hpp"
#include "actors/limits.hpp"
#include "actors/replication_types.hpp"
#include "metrics/log_sink.hpp"
#include "storage/records.hpp"

namespace switchboard::storage {
class store;
}
namespace switchboard::metrics {
struct node_metrics;
}

namespace switchboard::push {
class service;
}
namespace switchboard::storage {
struct push_entry;
}

namespace switchboard::actors {

class directory;
class io_pool;
class live_view;
class shard_positions;
class replicator;

struct node_options {
  std::string node_id = "n1";
  limits lim;
  int scheduler_threads = 1;  // CAF workers (benchmarks.md chose 1)
  int io_threads = 2;         // blocking store reads
  metrics::node_metrics* metrics = nullptr;  // must outlive the node
  // Keys the ids of direct conversations (direct_id_secret of the token
  // secret); empty: a random key, for tests that never restart a node.
  std::string direct_id_secret;
  metrics::log_sink log{};  // where the actors' log lines go
  // Push notifications (must outlive the node); null: none.
  push::service* push = nullptr;
  // The cluster port (CAF's middleman, BASP), when `cluster`; a standalone
  // node loads no network layer at all. Port 0: the kernel's choice.
  bool cluster = false;
  std::string cluster_host = "127.0.0.1";
  std::uint16_t cluster_port = 0;
  // Peers whose identifier differs are refused at the BASP handshake
  // (another cluster name, another protocol version).
  std::string cluster_app_id = "switchboard";
};

// A node's actor runtime: the CAF actor system, the directory of
// conversation and user actors, the I/O pool and the rate limiter.
// Thread-safe. `store` must outlive the node.
class node {
 public:
  node(storage::store& store, node_options options);
  // Stops every actor, waits for them, then for their pending writes.
  ~node();
  node(const node&) = delete;
  node& operator=(const node&) = delete;

  // A new client connection of `user_id` (already authenticated): spawns
  // its session actor. The returned handler takes the connection's frames.
  std::shared_ptr<connection_handler> open_session(
      const std::string& user_id, std::shared_ptr<client_connection> conn,
      const std::string& remote = {});

  // Carries out one validated request of `user` that comes from no
  // connection (REST) through the same code path as a WebSocket frame.
  // `answer` gets the answer frame, or "" for a request answered with
  // nothing; it runs once, on a CAF thread.
  void request(const std::string& user, client_frame f,
               std::function<void(std::string)> answer);

  // An operator's change of members (no membership or creator checks).
  // `done` gets an ok proto_error on success; it runs on a CAF thread.
  void admin_members(const std::string& conv_id, std::vector<std::string> add,
                     std::vector<std::string> remove,
                     std::function<void(proto_error)> done);

  // Takes from `user`'s budget of `kind` (REST calls that are no frame);
  // `rate_limited` with retry_after_ms when it is spent.
  proto_error take_budget(request_kind kind, const std::string& user);

  // A user's push device registered or removed, in the store of the node
  // that owns the user's shard (this one, or a peer through its registry);
  // `done` gets an ok proto_error once durable, else `unavailable` (or
  // `internal`); it runs on some other thread.
  void put_device(const std::string& user, const std::string& platform,
                  const std::string& token, std::int64_t registered_ms,
                  std::function<void(proto_error)> done);
  void erase_device(const std::string& user, const std::string& token,
                    std::function<void(proto_error)> done);
  // A user's push devices, from the node that owns the user's shard;
  // `done` runs on some other thread.
  void list_devices(
      const std::string& user,
      std::function<void(proto_error, std::vector<storage::device>)> done);

  // The node's store.
  storage::store& store();

  // Waits until every client request that has started is answered, or
  // until `timeout`; true when none is left (draining).
  bool wait_idle(std::chrono::milliseconds timeout);

  metrics::node_metrics& metrics();
  directory& dir();
  // The operator's view of the live connections and actors, without CAF.
  live_view& live();
  // The threads of the actors' blocking store reads (activation, history,
  // lookups); a test may hold them to see what waits for them.
  io_pool& io();

  // --- the cluster (only with options.cluster) ---

  // The port the registry is published on (the one asked for, or the
  // kernel's choice for 0); 0 for a standalone node.
  std::uint16_t cluster_port() const;
  // The registry actor of the peer at host:port, or why not (refused,
  // another cluster or version, no answer within `timeout`). Blocks the
  // caller: never call it on a CAF or Asio thread.
  struct peer {
    caf::actor registry;
    std::string error;  // empty on success
  };
  peer connect_peer(const std::string& host, std::uint16_t port,
                    std::chrono::milliseconds timeout);
  // Asks `dest` (a peer's registry, or this node's) `m`, whose answer is a
  // string: "" for success, else why not. A failure to answer within
  // `timeout` is an answer too ("no answer: ..."). Blocks the caller.
  std::string ask(const caf::actor& dest, caf::message m,
                  std::chrono::milliseconds timeout);
  // Where the copy of `shard` of the node of `registry` stands ({epoch,
  // seq}); nullopt when it did not answer within `timeout`, or has a write
  // of the shard not yet durable (`*why` says which, when given). Blocks.
  std::optional<std::pair<std::int64_t, std::uint64_t>> ask_position(
      const caf::actor& registry, std::uint32_t shard,
      std::chrono::milliseconds timeout, std::string* why = nullptr);
  // Reconciliation (registry.hpp, reconcile_handlers): the position and
  // journal summary of the copy of `shard` at the node of `registry`
  // (empty: it has none to give now), and the keys its groups after seq
  // `after` wrote; nullopt when it did not answer, or could not tell
  // (`*why` says why, when given).
  std::optional<std::vector<std::int64_t>> ask_journal(
      const caf::actor& registry, std::uint32_t shard,
      std::chrono::milliseconds timeout, std::string* why = nullptr);
  std::optional<std::vector<repl_op>> ask_journal_keys(
      const caf::actor& registry, std::uint32_t shard, std::uint64_t after,
      std::chrono::milliseconds timeout, std::string* why = nullptr);
  // Every shard's position at the node of `registry`: {epoch, seq} per
  // shard, in shard order; nullopt when it did not answer. Blocks.
  std::optional<std::vector<std::int64_t>> ask_positions(
      const caf::actor& registry, std::chrono::milliseconds timeout,
      std::string* why = nullptr);
  // The client connections of the node of `registry`; nullopt when it did
  // not answer within `timeout`. Blocks the caller.
  std::optional<std::int64_t> ask_connections(const caf::actor& registry,
                                              std::chrono::milliseconds timeout,
                                              std::string* why = nullptr);
  // Every revocation the node of `registry` keeps (user, not-before
  // seconds); nullopt when it did not answer within `timeout`. Blocks.
  std::optional<std::vector<std::pair<std::string, std::int64_t>>>
  ask_revocations(const caf::actor& registry, std::chrono::milliseconds timeout,
                  std::string* why = nullptr);
  // This node's registry (null on a standalone node).
  caf::actor registry() const;
  // What the registry's move_atom runs (node_context::move_shard); set it
  // before the node takes requests.
  void set_move_handler(std::function<void(std::uint32_t, std::string,
                                           std::function<void(std::string)>)>
                            fn);

  // What the registry's move_atom with a copy to add and one to remove
  // runs (node_context::move_copy); set it before the node takes requests.
  void set_copy_move_handler(
      std::function<void(std::uint32_t, std::string, std::string,
                         std::function<void(std::string)>)>
          fn);

  // What the replicator runs to drop a follower from a shard's in-sync
  // replicas (node_context::shrink_isr); set it before the node takes
  // requests.
  void set_isr_handler(std::function<void(std::uint32_t, std::string,
                                          std::function<void(std::string)>)>
                           fn);
  // What the registry's hello_atom runs (node_context::peer_hello); set it
  // before the node joins its cluster.
  void set_hello_handler(
      std::function<void(const std::string&, std::int64_t, const caf::actor&)>
          fn);
  // Whether the node's lease is valid now (node_context::lease_valid); set
  // it before the node takes requests.
  void set_lease_check(std::function<bool()> fn);
  // Where this node's copy of each shard stands (null on a standalone
  // node).
  // A conversation's push burst whose grace ended (push::service's
  // waker): to the conversation's actor, which makes its members' jobs.
  void wake_push_burst(const storage::push_entry& burst);
  // The push service's view of a cluster (push::service::set_cluster):
  // whether this node leads the shard of `id` now, and how many of
  // `user`'s conversations (1,000 at most) have messages past its read
  // cursor, counted where their shards are: this node's store for its
  // own, one request per other node (`timeout` each; a node that does not
  // answer counts none). Blocks: the push service's thread.
  bool leads(const std::string& id) const;
  std::uint32_t unread_conversations(const std::string& user,
                                     std::chrono::milliseconds timeout);

  shard_positions* positions() const;
  // The push service (node_options::push): null when there is none.
  push::service* pushes() const;
  // The leader's side of replication, the store's sink (null on a
  // standalone node).
  replicator* replication() const;

  // What the registry's admin_atom runs (node_context::admin_local).
  void set_admin_handler(
      std::function<void(std::string, std::string, std::string,
                         std::function<void(int, std::string)>)>
          fn);
  // Asks `registry` (a peer's, or this node's) to answer an admin API
  // request; 503 with why when it does not within `timeout`. Blocks.
  std::pair<int, std::string> ask_admin(const caf::actor& registry,
                                        const std::string& method,
                                        const std::string& target,
                                        const std::string& body,
                                        std::chrono::milliseconds timeout);

  // Whether this node still has a connection to the node of `registry` (a
  // peer's), as CAF's middleman knows it; nullopt when it did not answer
  // within `timeout`. CAF 0.17 closes a connection whose peer died without
  // telling the monitors of that peer's actors (on_down waits in vain), so
  // this is how a node learns at once that a peer's process is gone: a
  // hint, etcd's lease is the verdict. Blocks.
  std::optional<bool> peer_connected(const caf::actor& registry,
                                     std::chrono::milliseconds timeout,
                                     std::string* why = nullptr);
  // Runs `fn(down_reason)` once when `registry` (a peer's) is gone (a hint;
  // etcd's lease is the verdict), as far as CAF tells: the remote actor
  // exited. A peer whose process died is not reported by CAF 0.17 (see
  // peer_connected). `fn` runs on a CAF thread.
  void on_down(const caf::actor& registry, std::function<void(std::string)> fn);
  const limits& lim() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace switchboard::actors
