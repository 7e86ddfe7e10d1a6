#include "actors/registry.hpp"

#include <caf/all.hpp>
#include <memory>
#include <unordered_set>

#include "actors/blocking.hpp"
#include "actors/device_cap.hpp"
#include "actors/directory.hpp"
#include "actors/http_error.hpp"
#include "actors/inbox.hpp"
#include "actors/node_context.hpp"
#include "actors/request_budgets.hpp"
#include "actors/shard_positions.hpp"
#include "metrics/log_sink.hpp"
#include "storage/store.hpp"

namespace switchboard::actors {

namespace {

// Hands `m` to `dest`: a request is delegated (the answer goes from `dest`
// to the asker), anything else is sent on.
caf::result<caf::message> forward(caf::event_based_actor* self,
                                  const caf::actor& dest, caf::message& m) {
  if (self->current_message_id().is_request())
    return self->delegate(dest, std::move(m));
  caf::anon_send(dest, std::move(m));
  return caf::message{};
}

// Commits `b` and answers `rp` with "" or why not, inside the registry.
// `after` runs once the write is done either way, `failed` when it failed.
void commit_then_answer(caf::event_based_actor* self, node_context* ctx,
                        storage::batch b,
                        caf::typed_response_promise<std::string> rp,
                        std::function<void()> after = {},
                        std::function<void()> failed = {}) {
  ctx->store->commit(
      std::move(b), [handle = caf::actor_cast<caf::actor>(self), rp, after,
                     failed](const storage::status& s) mutable {
        if (after) after();
        if (!s && failed) failed();
        std::string why = s ? std::string() : s.err().message;
        caf::anon_send(handle, continue_atom::value,
                       continuation{[rp, why]() mutable { rp.deliver(why); }});
      });
}

// A read's result for `rp`: its value, or the storage error as a CAF error.
template <class T>
auto deliver_to(caf::typed_response_promise<T> rp) {
  return [rp](storage::result<T> r) mutable {
    if (r)
      rp.deliver(std::move(*r));
    else
      rp.deliver(caf::make_error(caf::sec::runtime_error, r.err().message));
  };
}

// `b`, data of `user` written outside the user's actor: admitted only while
// the user's shard is here and not moving (directory::enter_writes).
// `then` runs once it is written.
caf::result<std::string> write_for_user(caf::event_based_actor* self,
                                        node_context* ctx,
                                        const std::string& user,
                                        storage::batch b,
                                        std::function<void()> then = {}) {
  if (!ctx->dir->enter_writes({user}))
    return make_cluster_error(cluster_errc::not_owner);
  auto rp = self->make_response_promise<std::string>();
  commit_then_answer(self, ctx, std::move(b), rp, [ctx, user, then] {
    ctx->dir->leave_writes({user});
    if (then) then();
  });
  return rp;
}

// What a request answered on another thread is handed: it delivers `why`
// to `rp` inside the registry.
std::function<void(std::string)> answer_inside(
    caf::event_based_actor* self, caf::typed_response_promise<std::string> rp) {
  return [handle = caf::actor_cast<caf::actor>(self),
          rp](std::string why) mutable {
    caf::anon_send(handle, continue_atom::value,
                   continuation{[rp, why]() mutable { rp.deliver(why); }});
  };
}

caf::behavior registry(caf::event_based_actor* self, node_context* ctx) {
  // The channels of other nodes that watch users here (channel_atom).
  auto channels = std::make_shared<std::unordered_set<caf::actor_addr>>();
  self->set_down_handler([ctx, channels](caf::down_msg& dm) {
    if (channels->erase(dm.source) != 0)
      ctx->dir->unwatch_channel_actor(dm.source);
  });
  return caf::message_handler{
      // A page of a shard that moves here: taken only while the map says
      // the shard moves to this node, at the move's epoch.
      [self, ctx](ingest_atom, shard_chunk& c) -> caf::result<std::string> {
        auto r = ctx->dir->route_of_shard(c.shard);
        // A replica's copy comes from the shard's leader at its epoch.
        if (c.replica && (r.what != directory::shard_route::kind::remote ||
                          r.epoch != c.epoch || !ctx->positions))
          return std::string("shard " + std::to_string(c.shard) +
                             " is not led from elsewhere at epoch " +
                             std::to_string(c.epoch) + " here");
        if (!c.replica && (r.moving_to != ctx->node_id || r.epoch != c.epoch))
          return std::string("shard " + std::to_string(c.shard) +
                             " is not moving to node " + ctx->node_id +
                             " at epoch " + std::to_string(c.epoch));
        auto family = storage::family_of_tag(c.cf);
        if (!family || c.keys.size() != c.values.size())
          return std::string("malformed shard page");
        storage::batch b;
        b.skip_replication();
        if (c.first) b.erase_shard(static_cast<std::uint16_t>(c.shard));
        // The copy replaces the shard here, its position too (the page of
        // shard_log, if the sender has one, sets it).
        if (c.first && ctx->positions) ctx->positions->reset(c.shard, {});
        auto cf = *family;
        if (!storage::moves_with_shard(cf))
          return std::string("that column family does not move");
        for (std::size_t i = 0; i < c.keys.size(); ++i) {
          auto& k = c.keys[i];
          // Every key of the page must be of the shard (its first 2 bytes).
          if (k.size() < 2 ||
              ((static_cast<std::uint32_t>(static_cast<unsigned char>(k[0]))
                << 8) |
               static_cast<unsigned char>(k[1])) != c.shard)
            return std::string("a key of the page is not of shard " +
                               std::to_string(c.shard));
          if (ctx->positions && cf == storage::column_family::shard_log &&
              k.size() == 2)  // the position; longer keys are its journal
            if (auto p = storage::decode_position(c.values[i]))
              ctx->positions->reset(c.shard, *p);
          b.put_raw(cf, std::move(k), std::move(c.values[i]));
        }
        auto rp = self->make_response_promise<std::string>();
        // A page that is not written leaves the copy incomplete, whatever
        // its position says.
        commit_then_answer(self, ctx, std::move(b), rp, {},
                           [ctx, shard = c.shard] {
                             if (ctx->positions) ctx->positions->diverge(shard);
                           });
        return rp;
      },
      // What a failed move left here: dropped, unless the shard is ours.
      [self, ctx](drop_atom, std::uint32_t shard) -> caf::result<std::string> {
        if (ctx->dir->route_of_shard(shard).what ==
            directory::shard_route::kind::local)
          return std::string("shard " + std::to_string(shard) +
                             " is owned here");
        storage::batch b;
        b.skip_replication();
        b.erase_shard(static_cast<std::uint16_t>(shard));
        auto rp = self->make_response_promise<std::string>();
        commit_then_answer(self, ctx, std::move(b), rp, [ctx, shard] {
          if (ctx->positions) ctx->positions->reset(shard, {});
        });
        return rp;
      },
      [self, ctx](move_atom, std::uint32_t shard, std::string& add,
                  std::string& remove) -> caf::result<std::string> {
        if (!ctx->move_copy) return std::string("not a cluster node");
        auto rp = self->make_response_promise<std::string>();
        ctx->move_copy(shard, std::move(add), std::move(remove),
                       answer_inside(self, rp));
        return rp;
      },
      [self, ctx](move_atom, std::uint32_t shard,
                  std::string& target) -> caf::result<std::string> {
        if (!ctx->move_shard) return std::string("not a cluster node");
        auto rp = self->make_response_promise<std::string>();
        ctx->move_shard(shard, std::move(target), answer_inside(self, rp));
        return rp;
      },
      // The conversation ids of each of `users` (of this node's shards).
      [self, ctx](inbox_atom, std::vector<std::string>& users)
          -> caf::result<std::vector<std::vector<std::string>>> {
        for (auto& u : users)
          if (!ctx->dir->is_local(u))
            return make_cluster_error(cluster_errc::not_owner);
        auto rp = self->make_response_promise<
            std::vector<std::vector<std::string>>>();
        run_blocking(
            self, *ctx->pool,
            [store = ctx->store, users = std::move(users)] {
              return read_inboxes(*store, users);
            },
            deliver_to(rp));
        return rp;
      },
      // A page of the conversation ids of `user` (of this node's shards).
      [self, ctx](
          inbox_atom, std::string& user, std::string& after,
          std::uint32_t limit) -> caf::result<std::vector<std::string>> {
        if (!ctx->dir->is_local(user))
          return make_cluster_error(cluster_errc::not_owner);
        auto rp = self->make_response_promise<std::vector<std::string>>();
        run_blocking(
            self, *ctx->pool,
            [store = ctx->store, user = std::move(user),
             after = std::move(after),
             limit] { return store->inbox_page(user, after, limit); },
            deliver_to(rp));
        return rp;
      },
      // The summaries of `convs` (of this node's shards) for `user`, as far
      // as `member_budget` reaches.
      [self, ctx](summary_atom, std::string& user,
                  std::vector<std::string>& convs,
                  std::uint64_t member_budget) -> caf::result<summary_page> {
        for (auto& c : convs)
          if (!ctx->dir->is_local(c))
            return make_cluster_error(cluster_errc::not_owner);
        auto rp = self->make_response_promise<summary_page>();
        run_blocking(
            self, *ctx->pool,
            [store = ctx->store, user = std::move(user),
             convs = std::move(convs), member_budget] {
              return read_summaries(*store, user, convs,
                                    static_cast<std::size_t>(member_budget));
            },
            deliver_to(rp));
        return rp;
      },
      // Inbox entries of users of this node's shards: `conv` added for
      // `add`, removed for `remove`; "" once durable.
      [self, ctx](
          inbox_atom, const std::string& conv,
          const std::vector<std::string>& add,
          const std::vector<std::string>& remove) -> caf::result<std::string> {
        // Admitted only while the users' shards are here and not moving.
        auto users = add;
        users.insert(users.end(), remove.begin(), remove.end());
        if (!ctx->dir->enter_writes(users))
          return make_cluster_error(cluster_errc::not_owner);
        storage::batch b;
        for (auto& u : add) b.put_inbox(u, conv);
        for (auto& u : remove) b.erase_inbox(u, conv);
        auto rp = self->make_response_promise<std::string>();
        commit_then_answer(self, ctx, std::move(b), rp,
                           [ctx, users] { ctx->dir->leave_writes(users); });
        return rp;
      },
      [self, ctx](admin_atom, std::string& method, std::string& target,
                  std::string& body) -> caf::result<std::int32_t, std::string> {
        auto rp = self->make_response_promise<std::int32_t, std::string>();
        if (!ctx->admin_local) {
          rp.deliver(
              std::int32_t{
                  common::info(common::proto_code::not_found).http_status},
              http_error(common::proto_code::not_found,
                         "this node has no admin API"));
          return rp;
        }
        ctx->admin_local(std::move(method), std::move(target), std::move(body),
                         [handle = caf::actor_cast<caf::actor>(self), rp](
                             int status, std::string text) mutable {
                           caf::anon_send(
                               handle, continue_atom::value,
                               continuation{[rp, status, text]() mutable {
                                 rp.deliver(static_cast<std::int32_t>(status),
                                            text);
                               }});
                         });
        return rp;
      },
      // A push device of a user of this node's shards.
      [self, ctx](caf::put_atom, const std::string& user,
                  const std::string& platform, const std::string& token,
                  std::int64_t registered_ms) -> caf::result<std::string> {
        storage::batch b;
        b.put_device(user, storage::device{platform, token, registered_ms});
        return write_for_user(self, ctx, user, std::move(b),
                              [ctx, user] { trim_devices(*ctx, user); });
      },
      [self, ctx](caf::delete_atom, const std::string& user,
                  const std::string& token) -> caf::result<std::string> {
        storage::batch b;
        b.erase_device(user, token);
        return write_for_user(self, ctx, user, std::move(b));
      },
      // Every revocation this node keeps: users and times, in two lists.
      [self, ctx](revoked_atom)
          -> caf::result<std::vector<std::string>, std::vector<std::int64_t>> {
        auto rp = self->make_response_promise<std::vector<std::string>,
                                              std::vector<std::int64_t>>();
        run_blocking(
            self, *ctx->pool,
            [store = ctx->store] { return store->revocations(); },
            [rp](storage::result<
                 std::vector<std::pair<std::string, std::int64_t>>>
                     r) mutable {
              if (!r) {
                rp.deliver(
                    caf::make_error(caf::sec::runtime_error, r.err().message));
                return;
              }
              std::vector<std::string> users;
              std::vector<std::int64_t> times;
              for (auto& [u, t] : *r) {
                users.push_back(u);
                times.push_back(t);
              }
              rp.deliver(std::move(users), std::move(times));
            });
        return rp;
      },
      // A slice of the rate budget of a user of this node's shards.
      [ctx](lend_atom, std::uint32_t budget, const std::string& user,
            double debt, double want) -> caf::result<double, std::int64_t> {
        if (!ctx->dir->is_local(user))
          return make_cluster_error(cluster_errc::not_owner);
        if (budget >= budget_count)
          return caf::make_error(caf::sec::invalid_argument, "no such budget");
        auto loan = ctx->budgets->lend(budget, user, debt, want,
                                       request_budgets::clock::now());
        return {loan.granted, loan.wait_ms};
      },
      [](continue_atom, continuation& c) { c.fn(); },
      // The node's client connections, for the admin shell's `nodes`.
      [ctx](caf::get_atom) -> std::int64_t {
        return static_cast<std::int64_t>(ctx->dir->sessions());
      },
      [self, ctx](route_atom, conv_atom, const std::string& id,
                  caf::message& m) -> caf::result<caf::message> {
        if (!ctx->dir->is_local(id))
          return make_cluster_error(cluster_errc::not_owner);
        return forward(
            self, caf::actor_cast<caf::actor>(ctx->dir->conversation(id)), m);
      },
      [self, ctx](route_atom, user_atom, const std::string& id,
                  caf::message& m) -> caf::result<caf::message> {
        if (!ctx->dir->is_local(id))
          return make_cluster_error(cluster_errc::not_owner);
        return forward(self, caf::actor_cast<caf::actor>(ctx->dir->user(id)),
                       m);
      },
      // A channel of another node watches users of this node's shards, or
      // stops (watch false): answers those online now.
      [self, ctx, channels](channel_atom, const std::string& conv,
                            const conversation_actor& channel,
                            std::vector<std::string>& users, bool watch)
          -> std::tuple<std::vector<std::string>, std::vector<std::uint64_t>,
                        std::vector<caf::actor>, std::vector<std::string>> {
        std::vector<std::string> online, refused;
        std::vector<std::uint64_t> gens;
        std::vector<caf::actor> actors;
        if (!watch) {
          ctx->dir->unwatch_channel(conv, users, channel.address());
          return {online, gens, actors, refused};
        }
        // Only users of this node's shards; the others are refused, and
        // the channel watches them again where their shard is.
        users.erase(std::remove_if(users.begin(), users.end(),
                                   [&](const std::string& u) {
                                     if (ctx->dir->is_local(u)) return false;
                                     refused.push_back(u);
                                     return true;
                                   }),
                    users.end());
        // A channel that dies (or whose node does) leaves no watch here.
        if (channels->insert(channel.address()).second) self->monitor(channel);
        for (auto& o : ctx->dir->watch_channel(conv, channel, users, refused)) {
          online.push_back(std::move(o.user));
          gens.push_back(o.gen);
          actors.push_back(std::move(o.actor));
        }
        return {online, gens, actors, refused};
      },
  }
      .or_else(delivery_handlers(ctx))
      .or_else(replication_handlers(self, ctx))
      .or_else(reconcile_handlers(self, ctx))
      .or_else(push_handlers(self, ctx));
}

}  // namespace

caf::actor spawn_registry(caf::actor_system& sys, node_context* ctx) {
  return sys.spawn(registry, ctx);
}

}  // namespace switchboard::actors
