#include <caf/all.hpp>

#include "actors/blocking.hpp"
#include "actors/directory.hpp"
#include "actors/messages.hpp"
#include "actors/node_context.hpp"
#include "actors/registry.hpp"
#include "actors/replication_wire.hpp"
#include "actors/shard_positions.hpp"
#include "metrics/log_sink.hpp"
#include "storage/store.hpp"

// The follower's side of reconciliation (docs/cluster.md "Replicas, in-sync
// copies and failover"): a copy of a shard that is behind its leader, or ahead
// of it with writes no ISR acknowledged, says where it stands and what its
// journal holds; the leader finds where their logs part and sends the writes
// that make this copy its own (app/shard_reconcile.cpp). Nothing streams to a
// copy being reconciled (it is out of the ISR, and a learner's stream waits for
// the copy); the patch is refused unless the copy is still where it said.
namespace switchboard::actors {

namespace {

bool of_shard(const std::string& key, std::uint32_t shard) {
  return key.size() >= 2 &&
         ((static_cast<std::uint32_t>(static_cast<unsigned char>(key[0]))
           << 8) |
          static_cast<unsigned char>(key[1])) == shard;
}

// Whether this node follows `shard` from another node at `epoch` (the
// map's, as a replica's copy comes at).
bool follows(node_context* ctx, std::uint32_t shard, std::int64_t epoch) {
  auto r = ctx->dir->route_of_shard(shard);
  return r.what == directory::shard_route::kind::remote && r.epoch == epoch;
}

}  // namespace

caf::message_handler reconcile_handlers(caf::event_based_actor* self,
                                        node_context* ctx) {
  return {
      // The store is read on the I/O pool (up to journal_groups entries);
      // the answer is checked against the position table once back here.
      [self, ctx](journal_atom, std::uint32_t shard)
          -> caf::result<std::vector<std::int64_t>> {
        if (!ctx->positions || shard >= ctx->store->shards())
          return std::vector<std::int64_t>{};
        auto rp = self->make_response_promise<std::vector<std::int64_t>>();
        run_blocking(
            self, *ctx->pool,
            [store = ctx->store, shard] {
              return store->shard_log_of(static_cast<std::uint16_t>(shard));
            },
            [ctx, rp,
             shard](storage::result<storage::store::shard_log_view> v) mutable {
              if (!v) {
                metrics::emit(ctx->log, "warn", "journal_unreadable",
                              {{"shard", std::to_string(shard)},
                               {"error", v.err().message}});
                rp.deliver(std::vector<std::int64_t>{});
                return;
              }
              // Only a copy whose table and store agree, with no write of it
              // pending, that it does not lead and that has not diverged.
              auto p = ctx->positions->settled_at(shard);
              if (!p || p->epoch < 0 || ctx->positions->leading(shard) != 0 ||
                  v->at != *p) {
                rp.deliver(std::vector<std::int64_t>{});
                return;
              }
              std::vector<std::int64_t> out{p->epoch,
                                            static_cast<std::int64_t>(p->seq)};
              auto flat = v->journal.flat();
              out.insert(out.end(), flat.begin(), flat.end());
              rp.deliver(std::move(out));
            });
        return rp;
      },
      [self, ctx](journal_atom, std::uint32_t shard,
                  std::uint64_t after) -> caf::result<std::vector<repl_op>> {
        if (!ctx->positions || shard >= ctx->store->shards())
          return caf::make_error(caf::sec::runtime_error, "no such shard");
        auto rp = self->make_response_promise<std::vector<repl_op>>();
        run_blocking(
            self, *ctx->pool,
            [store = ctx->store, shard, after] {
              return store->journal_keys_after(
                  static_cast<std::uint16_t>(shard), after);
            },
            [rp](storage::result<std::vector<storage::journal_ref>>
                     keys) mutable {
              if (!keys) {
                rp.deliver(caf::make_error(caf::sec::runtime_error,
                                           keys.err().message));
                return;
              }
              std::vector<repl_op> out;
              out.reserve(keys->size());
              for (auto& k : *keys) {
                repl_op o;
                o.cf = storage::tag_of(k.cf);
                o.key = std::move(k.key);
                o.erase = true;
                out.push_back(std::move(o));
              }
              rp.deliver(std::move(out));
            });
        return rp;
      },
      [self, ctx](patch_atom, std::int64_t epoch,
                  repl_append& patch) -> caf::result<std::string> {
        auto n = std::to_string(patch.shard);
        if (!ctx->positions || patch.shard >= ctx->store->shards())
          return "shard " + n + " is not replicated here";
        if (!follows(ctx, patch.shard, epoch))
          return "shard " + n + " is not led from elsewhere at epoch " +
                 std::to_string(epoch) + " here";
        auto held = ctx->positions->settled_at(patch.shard);
        storage::shard_position from{patch.prev_epoch, patch.prev_seq};
        if (!held || *held != from)
          return "shard " + n + ": this copy is no longer at " +
                 std::to_string(from.epoch) + "/" + std::to_string(from.seq);
        storage::batch b;
        b.skip_replication();
        for (auto& o : patch.ops) {
          if (!of_shard(o.key, patch.shard) ||
              (!o.range_end.empty() && !of_shard(o.range_end, patch.shard)))
            return "a write of the patch is not of shard " + n;
          b.add_raw(from_wire(std::move(o)));
        }
        if (b.invalid()) return "malformed patch: " + *b.invalid();
        storage::shard_position to{patch.epoch, patch.seq};
        // As a copy's pages do: the position is the patch's from now on,
        // and a patch not written leaves a copy that is neither. Until it
        // is durable, a leader asking where this copy stands hears none.
        ctx->positions->reset_pending(patch.shard, to);
        auto rp = self->make_response_promise<std::string>();
        ctx->store->commit(
            std::move(b),
            [handle = caf::actor_cast<caf::actor>(self), rp, ctx,
             shard = patch.shard](const storage::status& s) mutable {
              std::string why = s ? std::string() : s.err().message;
              if (!s) {
                ctx->positions->diverge(shard);
                metrics::emit(
                    ctx->log, "warn", "patch_not_written",
                    {{"shard", std::to_string(shard)}, {"error", why}});
              }
              ctx->positions->settled(shard);
              caf::anon_send(
                  handle, continue_atom::value,
                  continuation{[rp, why]() mutable { rp.deliver(why); }});
            });
        return rp;
      },
  };
}

}  // namespace switchboard::actors
