#include <caf/all.hpp>
#include <map>

#include "actors/directory.hpp"
#include "actors/messages.hpp"
#include "actors/node_context.hpp"
#include "actors/registry.hpp"
#include "actors/replication_wire.hpp"
#include "actors/shard_positions.hpp"
#include "metrics/log_sink.hpp"
#include "storage/store.hpp"

// The follower's side of shard replication (docs/cluster.md "Replicas, in-sync
// copies and failover"): the registry applies what a shard's leader streams to
// it, and says where its copy of a shard stands.
namespace switchboard::actors {

caf::message_handler replication_handlers(caf::event_based_actor* self,
                                          node_context* ctx) {
  return {
      // A group's appends from `leader`: each must come from the shard's
      // leader as this node's map says (or from a newer epoch it has not
      // seen yet), follow the copy here without a gap, and carry an epoch
      // no lower than the highest seen. All or nothing: one refusal
      // refuses the message, and the leader drops this node from the ISR
      // of those shards; it copies the shard again before it rejoins.
      [self, ctx](
          replicate_atom, const std::string& leader,
          std::vector<repl_append>& appends) -> caf::result<std::string> {
        if (!ctx->positions) return std::string("not a cluster node");
        storage::batch b;
        b.skip_replication();
        for (auto& a : appends) {
          auto r = ctx->dir->route_of_shard(a.shard);
          if (r.what == directory::shard_route::kind::local)
            return "shard " + std::to_string(a.shard) + " is led by " +
                   ctx->node_id + ", not " + leader;
          // At the map's epoch only the map's leader writes; a higher
          // epoch is a leader whose record this node's watch has not
          // brought yet.
          if (a.epoch == r.epoch && !r.owner.empty() && r.owner != leader)
            return "shard " + std::to_string(a.shard) + " at epoch " +
                   std::to_string(a.epoch) + " is led by " + r.owner +
                   ", not " + leader;
          for (auto& o : a.ops) {
            auto op = from_wire(std::move(o));
            if (op.key.size() < 2 ||
                ((static_cast<unsigned char>(op.key[0]) << 8) |
                 static_cast<unsigned char>(op.key[1])) != int(a.shard))
              return "a write of the append is not of shard " +
                     std::to_string(a.shard);
            b.add_raw(std::move(op));
          }
        }
        if (b.invalid()) return "malformed append: " + *b.invalid();
        // Every position checked first, then all taken: a refusal takes
        // none. (The registry is one actor: nothing runs in between.)
        auto step_of = [](const repl_append& a) {
          return storage::shard_step{{a.prev_epoch, a.prev_seq},
                                     {a.epoch, a.seq}};
        };
        // A message may hold several appends of a shard (a catch-up's
        // held writes): each after the first must follow the one before.
        std::map<std::uint32_t, storage::shard_position> after;
        for (auto& a : appends) {
          std::string why;
          auto seen = after.find(a.shard);
          if (seen == after.end()) {
            why = ctx->positions->check(
                a.shard, step_of(a), ctx->dir->route_of_shard(a.shard).epoch);
          } else if (step_of(a).prev != seen->second ||
                     a.seq != a.prev_seq + 1 || a.epoch < seen->second.epoch) {
            why = "shard " + std::to_string(a.shard) +
                  ": the appends of the message do not follow each other";
          }
          after[a.shard] = step_of(a).at;
          if (!why.empty()) {
            // This copy does not hold what the leader's log has before the
            // append (it missed a write, or holds one the leader does not):
            // it is never continued, and keeps its position, which no
            // append of this leader follows, for the reconciliation that
            // brings it back into the ISR (app/shard_reconcile.hpp). But a
            // leader that goes on at its epoch from below what it sent this
            // copy at that epoch lost a tail of its own log (groups not yet
            // fsynced when its machine went down): its next groups reuse
            // seqs of that epoch, so the journals could not tell the two
            // logs apart. That copy is copied whole.
            auto held = ctx->positions->at(a.shard);
            if (a.epoch == a.prev_epoch && held.epoch == a.prev_epoch &&
                held.seq > a.prev_seq)
              ctx->positions->diverge(a.shard);
            metrics::emit(ctx->log, "warn", "append_refused",
                          {{"leader", leader}, {"error", why}});
            return why;
          }
        }
        std::vector<std::uint32_t> shards;
        for (auto& a : appends) {
          auto why = ctx->positions->accept(
              a.shard, step_of(a), ctx->dir->route_of_shard(a.shard).epoch);
          if (!why.empty()) {
            // Changed since the check (a newer epoch in the map, a copy
            // that diverged): what was taken of the message is not written,
            // so those copies are not what their positions say.
            for (auto n : shards) {
              ctx->positions->diverge(n);
              ctx->positions->settled(n);
            }
            ctx->positions->diverge(a.shard);
            metrics::emit(ctx->log, "warn", "append_refused",
                          {{"leader", leader}, {"error", why}});
            return why;
          }
          shards.push_back(a.shard);
        }
        auto rp = self->make_response_promise<std::string>();
        ctx->store->commit(
            std::move(b),
            [handle = caf::actor_cast<caf::actor>(self), rp, ctx,
             shards = std::move(shards)](const storage::status& s) mutable {
              std::string why = s ? std::string() : s.err().message;
              // Taken and not written: this copy is not what its position
              // says, and must be copied again before it is in sync.
              for (auto n : shards) {
                if (!s) ctx->positions->diverge(n);
                ctx->positions->settled(n);
              }
              caf::anon_send(
                  handle, continue_atom::value,
                  continuation{[rp, why]() mutable { rp.deliver(why); }});
            });
        return rp;
      },
      // A peer of a smaller id connected to this node: its registry.
      [ctx](hello_atom, const std::string& node, std::int64_t incarnation,
            const caf::actor& registry) {
        if (ctx->peer_hello) ctx->peer_hello(node, incarnation, registry);
      },
      // Where this node's copy of every shard stands: {epoch, seq} each.
      [ctx](position_atom) -> std::vector<std::int64_t> {
        std::vector<std::int64_t> out;
        if (!ctx->positions) return out;
        auto S = ctx->store->shards();
        out.reserve(2 * S);
        for (std::uint32_t n = 0; n < S; ++n) {
          auto p = ctx->positions->at(n);
          out.push_back(p.epoch);
          out.push_back(static_cast<std::int64_t>(p.seq));
        }
        return out;
      },
      // Where this node's copy of `shard` stands: {epoch, seq}.
      // Empty while a write of it is not yet durable here: a leader
      // compares only with a position the store holds (it asks again).
      [ctx](position_atom, std::uint32_t shard) -> std::vector<std::int64_t> {
        if (!ctx->positions) return {};
        auto p = ctx->positions->settled_at(shard);
        if (!p) return {};
        return {p->epoch, static_cast<std::int64_t>(p->seq)};
      },
  };
}

}  // namespace switchboard::actors
