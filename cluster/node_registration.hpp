#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "cluster/cluster_keys.hpp"
#include "cluster/coordinator_log.hpp"
#include "cluster/etcd_client.hpp"
#include "cluster/etcd_health.hpp"
#include "cluster/node_record.hpp"
#include "cluster/result.hpp"

namespace switchboard::cluster {

// A keepalive's latency in seconds and whether it succeeded (for metrics).
using keepalive_callback = std::function<void(double seconds, bool ok)>;

// This node's key `nodes/<id>` under a lease of its own (docs/ARCHITECTURE.md
// "cluster/"), kept alive on a thread of its own with a unary keepalive every
// TTL/3. When etcd says the lease is gone (it expired while etcd could not
// be reached), registers again with a new lease, so a new incarnation,
// once the id is free; until then it logs and retries at every tick.
// Thread-safe. `client` and `health` must outlive the registration.
class node_registration {
 public:
  struct options {
    node_record self{};  // incarnation is set from the lease
    std::int64_t ttl_s = 5;
    keepalive_callback on_keepalive{};  // may be empty
    log_callback log{};                 // may be empty
    // After every registration (the first in start, and each one again),
    // with the record and the revision of its put; may be empty.
    std::function<void(const node_record&, std::int64_t)> on_registered{};
    // When etcd answers again after keepalives failed (also by registering
    // again), on the keepalive thread; may be empty.
    std::function<void()> on_recovered{};
  };

  // Grants a lease and creates the node's key under it, by a txn that
  // requires the key to be absent: errc::already_exists (naming the other
  // node's addresses) when the id is live already, else the client's
  // errors. Then starts the keepalive thread.
  static result<std::unique_ptr<node_registration>> start(
      etcd_client& client, const cluster_keys& keys, options opts,
      etcd_health& health);

  // Stops the thread and revokes the lease: the key disappears at once (a
  // clean leave). Waits up to one etcd request timeout for that.
  ~node_registration();
  node_registration(const node_registration&) = delete;
  node_registration& operator=(const node_registration&) = delete;

  // The record as registered now (its incarnation changes at a
  // re-registration).
  node_record self() const;
  std::int64_t incarnation() const;
  // The node key's create_revision while registered, else 0: a txn that
  // compares it acts only while this registration holds the id.
  std::int64_t key_revision() const;
  // The TTL etcd granted (at least 2 s).
  std::int64_t ttl_s() const;
  // True while registered and now < last successful keepalive (its send
  // time) + TTL - margin, margin = max(1 s, TTL/5): the node stops taking
  // writes once false, before etcd can give its id or shards to another.
  bool lease_valid() const;

  // For tests and drills: while suspended, no keepalive is sent, so the
  // lease expires as if etcd could not be reached. Resuming lets the
  // thread notice the loss and register again.
  void suspend_keepalive(bool suspended);

 private:
  using clock = std::chrono::steady_clock;

  node_registration(etcd_client& client, const cluster_keys& keys, options opts,
                    etcd_health& health);
  // One attempt to register under a new lease; on success updates the
  // state. Called at start and by the thread, never at once by both.
  status register_once();
  void run();
  void keepalive_once();

  etcd_client& client_;
  const std::string key_;
  const options opts_;
  etcd_health& health_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  node_record self_;
  std::int64_t lease_ = 0;         // 0: not registered
  std::int64_t key_revision_ = 0;  // 0: not registered
  std::int64_t ttl_s_ = 0;
  clock::time_point last_ok_{};
  std::atomic<bool> suspended_{false};
  bool failing_ = false;  // the last keepalive failed (log transitions only)
  std::thread thread_;
};

}  // namespace switchboard::cluster
