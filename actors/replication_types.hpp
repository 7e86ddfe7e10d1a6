#pragma once

#include <caf/meta/type_name.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace switchboard::actors {

// One write of a replicated group (storage::batch::op as it crosses
// nodes): a put, a delete, or a range delete of keys that hold their shard.
struct repl_op {
  std::uint8_t cf = 0;  // storage::tag_of(the column family)
  std::string key;
  bool erase = false;     // delete `key` (or the range up to range_end)
  std::string value;      // a put's
  std::string range_end;  // not empty: delete [key, range_end)
};

// One group's writes to one shard at its position (storage::shard_append):
// what a follower applies, in order, refusing an epoch below the highest
// it has seen and any gap in seq (docs/cluster.md "Replicas, in-sync copies and
// failover").
struct repl_append {
  std::uint32_t shard = 0;
  std::int64_t prev_epoch = 0;  // the position it follows: the follower
  std::uint64_t prev_seq = 0;   // must hold exactly that one
  std::int64_t epoch = 0;
  std::uint64_t seq = 0;
  std::vector<repl_op> ops;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, repl_op& x) {
  return f(caf::meta::type_name("repl_op"), x.cf, x.key, x.erase, x.value,
           x.range_end);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, repl_append& x) {
  return f(caf::meta::type_name("repl_append"), x.shard, x.prev_epoch,
           x.prev_seq, x.epoch, x.seq, x.ops);
}

}  // namespace switchboard::actors
