#pragma once

#include <utility>

#include "actors/replication_types.hpp"
#include "storage/batch.hpp"

// A store write as it crosses nodes (repl_op) and back: what a leader's
// replicator and reconciliation send, and a follower's registry applies.
namespace switchboard::actors {

inline repl_op to_wire(const storage::batch::op& o) {
  repl_op r;
  r.cf = storage::tag_of(o.cf);
  r.key = o.key;
  r.erase = !o.value.has_value();
  if (o.value) r.value = *o.value;
  r.range_end = o.range_end;
  return r;
}

// A tag of no column family is caught by batch::add_raw: the op's family
// is then out of range.
inline storage::batch::op from_wire(repl_op&& o) {
  storage::batch::op op{
      storage::family_of_tag(o.cf).value_or(storage::column_family::count_),
      std::move(o.key), std::nullopt, 0};
  if (!o.erase) op.value = std::move(o.value);
  op.range_end = std::move(o.range_end);
  return op;
}

}  // namespace switchboard::actors
