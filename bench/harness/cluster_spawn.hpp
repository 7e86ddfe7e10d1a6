#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/harness/etcd_spawn.hpp"
#include "bench/harness/options.hpp"
#include "bench/harness/spawn.hpp"

namespace switchboard::bench {

// One node's view of the shard map, from the JSON of `switchboard admin
// --json -c shards`: each shard's owner, epoch and state, as one string
// that two nodes agree on when they see the same map (the bench's and the
// cluster tests' wait after a rebalance).
std::string shard_map_view(const std::string& shards_json);

// --spawn-cluster N: etcd and N nodes (n1..nN, as spawned_node starts them,
// with the same secret, --etcd and --cluster-listen 127.0.0.1:0), started
// one after the other (n1 creates the cluster), then, once n1 sees all of
// them live, `switchboard admin -c rebalance` through n1's admin API, and a
// check that every node owns shards. Throws std::runtime_error when any of
// it fails, after stopping what it started. The destructor stops the nodes
// together, then etcd.
class spawned_cluster {
 public:
  // `extra`: more arguments for every node.
  spawned_cluster(const std::string& binary, const std::string& secret, int n,
                  bool progress, const std::vector<std::string>& extra = {});
  ~spawned_cluster();
  spawned_cluster(const spawned_cluster&) = delete;
  spawned_cluster& operator=(const spawned_cluster&) = delete;

  std::vector<endpoint> endpoints() const;
  std::vector<int> pids() const;

 private:
  // `switchboard admin --json -c COMMAND` on node `i` (0: n1); throws on
  // failure.
  std::string admin(const std::string& command, std::size_t i = 0);
  void wait_live(std::size_t want);
  void rebalance(bool progress);
  // Until every node sees n1's shard map (each shard's owner, epoch and
  // state): a node that has not heard of a move's end yet answers its
  // shard `unavailable`, which the load would count.
  void wait_same_map();

  std::string binary_;
  spawned_etcd etcd_;  // declared first: stops last
  std::vector<std::unique_ptr<spawned_node>> nodes_;
};

}  // namespace switchboard::bench
