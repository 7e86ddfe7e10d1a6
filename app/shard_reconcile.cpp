#include "app/shard_reconcile.hpp"

#include <caf/all.hpp>
#include <chrono>

#include "actors/messages.hpp"
#include "actors/node.hpp"
#include "actors/replication_wire.hpp"

namespace switchboard::app {

namespace {

using namespace std::chrono_literals;

// One question to the other copy (its journal, its keys).
constexpr auto ask_timeout = 2s;
// The patch's round trip, its write at the target included.
constexpr auto patch_timeout = 10s;
// A patch is one message and one write there: past this a copy of the
// whole shard, in pages, is the better way.
constexpr std::size_t patch_max_bytes = 4u << 20;

std::string at_text(const storage::shard_position& p) {
  return std::to_string(p.epoch) + "/" + std::to_string(p.seq);
}

}  // namespace

std::string reconcile_copy(actors::node& node, const caf::actor& target,
                           std::uint32_t shard, std::int64_t epoch,
                           const storage::store::snapshot* at, patched& out) {
  auto s16 = static_cast<std::uint16_t>(shard);
  auto mine = node.store().shard_log_of(s16, at);
  if (!mine) return "cannot read this node's journal: " + mine.err().message;
  if (mine->at.seq == 0 || !mine->consistent())
    return "this node's journal does not reach its position " +
           at_text(mine->at);
  std::string why;
  auto said = node.ask_journal(target, shard, ask_timeout, &why);
  if (!said) return "the copy did not answer: " + why;
  if (said->size() < 4) return "the copy has no settled position to give now";
  storage::store::shard_log_view theirs;
  theirs.at = {(*said)[0], static_cast<std::uint64_t>((*said)[1])};
  auto summary = storage::journal_summary::from_flat(
      std::vector<std::int64_t>(said->begin() + 2, said->end()));
  if (!summary) return "the copy's journal summary is malformed";
  theirs.journal = std::move(*summary);
  // Position 0 proves nothing: a copy without one may hold data from
  // before replication that no journal lists.
  if (theirs.at.seq == 0) return "the copy has no position";
  if (!theirs.consistent())
    return "the copy's journal does not reach its position " +
           at_text(theirs.at);
  out = {};
  out.at = mine->at;
  if (theirs.at == mine->at) {
    out.common = mine->at.seq;
    return "";
  }
  auto common = storage::common_point(mine->journal, theirs.journal);
  if (common == std::uint64_t{0}) return "the logs have nothing in common";
  if (!common)
    return "the journals do not reach back to where the logs part (this "
           "node from " +
           std::to_string(mine->journal.first) + ", the copy from " +
           std::to_string(theirs.journal.first) + ")";
  auto refs = node.ask_journal_keys(target, shard, *common, ask_timeout, &why);
  if (!refs) return "the copy did not list its writes: " + why;
  std::vector<storage::journal_ref> keys;
  keys.reserve(refs->size());
  for (auto& r : *refs) {
    auto cf = storage::family_of_tag(r.cf);
    if (!cf) return "the copy listed a write of no column family";
    keys.push_back({*cf, std::move(r.key)});
  }
  auto patch =
      node.store().patch_after(s16, *common, keys, patch_max_bytes, at);
  if (!patch) return patch.err().message;
  actors::repl_append wire;
  wire.shard = shard;
  wire.prev_epoch = theirs.at.epoch;
  wire.prev_seq = theirs.at.seq;
  wire.epoch = patch->at.epoch;
  wire.seq = patch->at.seq;
  wire.ops.reserve(patch->ops.size());
  for (auto& o : patch->ops) wire.ops.push_back(actors::to_wire(o));
  if (auto refused = node.ask(
          target,
          caf::make_message(actors::patch_atom::value, epoch, std::move(wire)),
          std::chrono::milliseconds(patch_timeout));
      !refused.empty())
    return "the copy refused the patch: " + refused;
  out.at = patch->at;
  out.common = *common;
  out.truncated = theirs.at.seq - *common;
  out.appended = patch->at.seq - *common;
  out.keys = patch->keys;
  return "";
}

}  // namespace switchboard::app
