#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cluster/cluster_keys.hpp"
#include "cluster/cluster_view.hpp"
#include "cluster/coordinator_log.hpp"
#include "cluster/etcd_client.hpp"
#include "cluster/etcd_health.hpp"
#include "cluster/result.hpp"

namespace switchboard::cluster {

// Keeps a cluster_view equal to etcd: loads every key under the cluster's
// root at one revision, then watches them from the next one, so that no
// change falls between the load and the watch. When the watch breaks (etcd
// died, the connection reset), a thread of its own watches again from the
// revision after the last event seen, retrying with a backoff of up to 2 s;
// when that revision was compacted away, it loads again and watches from
// there. A watch can also hang without breaking (a half-open connection, a
// member that stopped sending): every check_every, the same thread reads
// the keys and compares them with the view, and a difference that is still
// there at the next check (a key changed at a revision the watch has not
// delivered, a node or shard that etcd has deleted) breaks the watch as
// above. Thread-safe; `client`, `view` and `health` must outlive it.
class cluster_watch {
 public:
  // `on_change` (may be empty) runs after each batch of events on nodes or
  // shards has reached `view`, and after every reload: on the watch's
  // thread, one call at a time; it must not block long, nor destroy this.
  // The load and the first watch happen here: the client's errors.
  static result<std::unique_ptr<cluster_watch>> start(
      etcd_client& client, const cluster_keys& keys, cluster_view& view,
      etcd_health& health, log_callback log, std::function<void()> on_change);

  // Watches again from the revision after the last event seen, as after a
  // break: for when etcd was out of reach and the stream, on a connection
  // from before, may be stuck (a watch has no deadline). Returns at once.
  void restart();

  // Cancels the watch and stops the thread; on_change is not called after.
  ~cluster_watch();
  cluster_watch(const cluster_watch&) = delete;
  cluster_watch& operator=(const cluster_watch&) = delete;

 private:
  cluster_watch(etcd_client& client, const cluster_keys& keys,
                cluster_view& view, etcd_health& health, log_callback log,
                std::function<void()> on_change);

  // On the supervising thread (or in start, before it exists).
  status load_and_watch(bool report);
  status watch_from(std::int64_t revision);
  void run();
  // On the supervising thread: a reason to watch again when the view has
  // lagged etcd for two checks in a row.
  std::optional<error> check_lag();
  // On etcd_watch's thread.
  void on_update(result<watch_response> update);

  etcd_client& client_;
  const cluster_keys keys_;
  cluster_view& view_;
  etcd_health& health_;
  const log_callback log_;
  const std::function<void()> on_change_;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::optional<error> broken_;        // why the watch ended, not yet handled
  std::int64_t next_revision_ = 0;     // where a new watch starts
  std::unique_ptr<etcd_watch> watch_;  // the supervising thread's only
  // What the last check found missing from the view (supervising thread).
  struct lag {
    std::int64_t newest = 0;        // the newest key's mod_revision
    std::vector<std::string> gone;  // keys deleted in etcd, kept in the view
  };
  std::optional<lag> lagging_;
  std::thread thread_;
};

}  // namespace switchboard::cluster
