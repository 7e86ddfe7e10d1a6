#pragma once

#include <caf/actor.hpp>
#include <cstdint>
#include <functional>
#include <string>

#include "metrics/log_sink.hpp"

namespace switchboard::actors {
class node;
}
namespace switchboard::cluster {
class coordinator;
}

namespace switchboard::app {

// One shard's move from this node to another (docs/ARCHITECTURE.md "cluster/",
// `rebalance`):
//   1. the map marks the shard moving (txn): every node, this one first,
//      answers its requests `unavailable`;
//   2. the shard's actors here stop, and every write they made is durable;
//   3. its keys, column family by column family, go to the target's
//      registry in pages, which the target writes as they are;
//   4. the map gives the shard to the target with epoch + 1 (txn);
//   5. this node erases its copy.
// A failure before 4 puts the map back (the shard stays here, nothing was
// erased) and has the target drop what it got. Blocks the calling thread
// (never a CAF or Asio one) for as long as the copy takes.
struct shard_move {
  cluster::coordinator& coord;
  actors::node& node;
  caf::actor target_registry;     // the target's registry
  std::function<void()> refresh;  // recomputes this node's routes now
  metrics::log_sink log;

  // "" when the shard is the target's now; why not otherwise.
  std::string run(std::uint32_t shard, const std::string& target);
};

}  // namespace switchboard::app
