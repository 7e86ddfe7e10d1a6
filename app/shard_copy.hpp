#pragma once

#include <caf/actor.hpp>
#include <cstddef>
#include <cstdint>
#include <string>

#include "storage/store.hpp"

namespace switchboard::actors {
class node;
}

namespace switchboard::app {

// Sends every key of `shard` in this node's store to the registry
// `target`, column family by column family, in pages the target writes as
// they are (ingest_atom): the copy of a move, or of a replica's catch-up
// (`replica`). The first page has the target drop what it had of the shard.
// Without a snapshot `at`, the shard must be quiet here (frozen, its
// actors stopped, its writes durable); with one, the copy is of that
// moment, its position included (set in `copied` when given: {0, 0} for a
// shard without one). A page the target refuses for want of the map's
// news (its watch lags a txn) is sent again for up to 3 s. "" or why not;
// `keys` gets the count sent. Blocks the calling thread.
std::string copy_shard(actors::node& node, const caf::actor& target,
                       std::uint32_t shard, std::int64_t epoch, bool replica,
                       std::size_t& keys,
                       const storage::store::snapshot* at = nullptr,
                       storage::shard_position* copied = nullptr);

}  // namespace switchboard::app
