#include <caf/all.hpp>

#include "actors/blocking.hpp"
#include "actors/directory.hpp"
#include "actors/messages.hpp"
#include "actors/node_context.hpp"
#include "actors/registry.hpp"
#include "metrics/log_sink.hpp"
#include "push/service.hpp"
#include "storage/store.hpp"

// The users' side of push notifications in a cluster (docs/push.md): a
// member's job lives in its user's shard, where the user's devices are and
// where its push service sends it; conversations on other nodes hand their
// bursts' jobs and their cursors here, and count a user's unread
// conversations for the badge.
namespace switchboard::actors {

caf::message_handler push_handlers(caf::event_based_actor* self,
                                   node_context* ctx) {
  return {
      [self, ctx](
          outbox_atom, const std::string& conv, std::uint64_t msg_id,
          const std::string& sender, const std::string& preview,
          std::int64_t created_ms, std::vector<std::string>& users,
          std::vector<std::uint64_t>& seqs) -> caf::result<std::string> {
        if (users.size() != seqs.size())
          return std::string("malformed push jobs");
        // This node sends nothing (no provider here): nothing to keep.
        if (!ctx->push) return std::string();
        if (!ctx->dir->enter_writes(users))
          return make_cluster_error(cluster_errc::not_owner);
        auto jobs = std::make_shared<std::vector<storage::push_entry>>();
        storage::batch b;
        for (std::size_t i = 0; i < users.size(); ++i) {
          storage::push_entry e;
          e.seq = seqs[i];
          e.job = storage::push_job{users[i], conv,       msg_id, sender,
                                    preview,  created_ms, 0};
          b.put_push_job(e.seq, e.job);
          jobs->push_back(std::move(e));
        }
        auto rp = self->make_response_promise<std::string>();
        ctx->store->commit(
            std::move(b), [handle = caf::actor_cast<caf::actor>(self), rp, ctx,
                           jobs, users](const storage::status& s) mutable {
              ctx->dir->leave_writes(users);
              if (s) ctx->push->handed(*jobs);
              std::string why = s ? std::string() : s.err().message;
              caf::anon_send(
                  handle, continue_atom::value,
                  continuation{[rp, why]() mutable { rp.deliver(why); }});
            });
        return rp;
      },
      [ctx](pushcur_atom, const std::string& user, const std::string& conv,
            std::uint64_t upto, bool read) {
        if (ctx->push && ctx->dir->is_local(user))
          ctx->push->cursor(user, conv, upto, read);
      },
      [self, ctx](devices_atom, std::string& user)
          -> caf::result<std::vector<std::string>, std::vector<std::string>,
                         std::vector<std::int64_t>> {
        if (!ctx->dir->is_local(user))
          return make_cluster_error(cluster_errc::not_owner);
        auto rp = self->make_response_promise<std::vector<std::string>,
                                              std::vector<std::string>,
                                              std::vector<std::int64_t>>();
        run_blocking(
            self, *ctx->pool,
            [store = ctx->store, user = std::move(user)] {
              return store->devices(user);
            },
            [rp](storage::result<std::vector<storage::device>> r) mutable {
              if (!r) {
                rp.deliver(
                    caf::make_error(caf::sec::runtime_error, r.err().message));
                return;
              }
              std::vector<std::string> platforms, tokens;
              std::vector<std::int64_t> since;
              for (auto& d : *r) {
                platforms.push_back(d.platform);
                tokens.push_back(d.token);
                since.push_back(d.registered_ms);
              }
              rp.deliver(std::move(platforms), std::move(tokens),
                         std::move(since));
            });
        return rp;
      },
      [self, ctx](
          unread_atom, std::string& user,
          std::vector<std::string>& convs) -> caf::result<std::uint32_t> {
        for (auto& c : convs)
          if (!ctx->dir->is_local(c))
            return make_cluster_error(cluster_errc::not_owner);
        auto rp = self->make_response_promise<std::uint32_t>();
        run_blocking(
            self, *ctx->pool,
            [store = ctx->store, user = std::move(user),
             convs = std::move(convs)] {
              return store->unread_among(user, convs);
            },
            [rp](storage::result<std::uint32_t> r) mutable {
              if (r)
                rp.deliver(*r);
              else
                rp.deliver(
                    caf::make_error(caf::sec::runtime_error, r.err().message));
            });
        return rp;
      },
  };
}

}  // namespace switchboard::actors
