#include <caf/all.hpp>

#include "actors/device_cap.hpp"
#include "actors/gather.hpp"
#include "actors/node.hpp"
#include "actors/node_impl.hpp"
#include "metrics/log_sink.hpp"
#include "storage/store.hpp"

// A node's calls about users' data that lives at their shard's owner
// (node.hpp): push devices written, removed and listed there, and the push
// service's view of the cluster (which shards this node leads, a user's
// unread conversations counted where they are).
namespace switchboard::actors {

namespace {

// A write of user data outside the user's actor, to this node's store:
// admitted only while the user's shard is here and not moving away.
void write_user_data(node_context& ctx, const std::string& user,
                     storage::batch b, std::function<void(proto_error)> done) {
  if (!ctx.dir->enter_writes({user}))
    return done(proto_error{proto_code::unavailable,
                            "the user's shard is moving; retry", 1000});
  ctx.store->commit(std::move(b), [&ctx, user, done](const storage::status& s) {
    ctx.dir->leave_writes({user});
    if (s) return done(proto_error{});
    bool now = s.err().code == storage::errc::unavailable ||
               s.err().code == storage::errc::io_error;
    done(now ? proto_error{proto_code::unavailable,
                           "the node cannot write right now; retry: " +
                               s.err().message,
                           1000}
             : proto_error{proto_code::internal,
                           "storage error: " + s.err().message});
  });
}

// `m` to the registry of the node that owns `user`'s shard, answered by a
// string ("" once durable), from a short-lived actor of `sys`.
void ask_owner(caf::actor_system& sys, node_context& ctx,
               const directory::shard_route& r, caf::message m,
               std::function<void(proto_error)> done) {
  auto timeout = ctx.lim.remote_request_timeout;
  sys.spawn([registry = r.registry, m = std::move(m), done,
             timeout](caf::event_based_actor* self) {
    self->request(registry, timeout, m)
        .then(
            [self, done](std::string& why) {
              done(why.empty()
                       ? proto_error{}
                       : proto_error{proto_code::unavailable, why, 1000});
              self->quit();
            },
            [self, done](caf::error&) {
              done(proto_error{proto_code::unavailable,
                               "the user's node did not answer; retry", 1000});
              self->quit();
            });
  });
}

}  // namespace

namespace {

// Data of `user` written where the user's shard lives: `here` into this
// node's store, or `there` (the same write as a message) to the owner's
// registry.
void write_at_owner(caf::actor_system& sys, node_context& ctx,
                    const std::string& user, storage::batch here,
                    caf::message there, std::function<void(proto_error)> done) {
  auto r = ctx.dir->route_of(user);
  using kind = directory::shard_route::kind;
  if (r.what == kind::unavailable)
    return done(
        proto_error{proto_code::unavailable, r.reason, r.retry_after_ms});
  if (r.what == kind::remote)
    return ask_owner(sys, ctx, r, std::move(there), std::move(done));
  write_user_data(ctx, user, std::move(here), std::move(done));
}

}  // namespace

void node::put_device(const std::string& user, const std::string& platform,
                      const std::string& token, std::int64_t registered_ms,
                      std::function<void(proto_error)> done) {
  storage::batch b;
  b.put_device(user, storage::device{platform, token, registered_ms});
  // Here the owner trims (a remote owner does once it has written).
  auto trimmed = [ctx = &impl_->ctx, user,
                  done = std::move(done)](proto_error e) {
    if (e.ok()) trim_devices(*ctx, user);
    done(std::move(e));
  };
  write_at_owner(impl_->sys, impl_->ctx, user, std::move(b),
                 caf::make_message(caf::put_atom::value, user, platform, token,
                                   registered_ms),
                 std::move(trimmed));
}

void node::erase_device(const std::string& user, const std::string& token,
                        std::function<void(proto_error)> done) {
  storage::batch b;
  b.erase_device(user, token);
  write_at_owner(impl_->sys, impl_->ctx, user, std::move(b),
                 caf::make_message(caf::delete_atom::value, user, token),
                 std::move(done));
}

void node::list_devices(
    const std::string& user,
    std::function<void(proto_error, std::vector<storage::device>)> done) {
  auto r = impl_->dir.route_of(user);
  using kind = directory::shard_route::kind;
  if (r.what == kind::unavailable)
    return done(
        proto_error{proto_code::unavailable, r.reason, r.retry_after_ms}, {});
  if (r.what == kind::local)
    return impl_->pool->post([store = &impl_->store, user, done] {
      auto d = store->devices(user);
      if (!d)
        return done(proto_error{proto_code::internal,
                                "storage error: " + d.err().message},
                    {});
      done(proto_error{}, std::move(*d));
    });
  auto timeout = impl_->ctx.lim.remote_request_timeout;
  impl_->sys.spawn([registry = r.registry, user, done,
                    timeout](caf::event_based_actor* self) {
    self->request(registry, timeout, devices_atom::value, user)
        .then(
            [self, done](std::vector<std::string>& platforms,
                         std::vector<std::string>& tokens,
                         std::vector<std::int64_t>& since) {
              std::vector<storage::device> out;
              for (std::size_t i = 0; i < platforms.size() &&
                                      i < tokens.size() && i < since.size();
                   ++i)
                out.push_back({platforms[i], tokens[i], since[i]});
              done(proto_error{}, std::move(out));
              self->quit();
            },
            [self, done](caf::error&) {
              done(proto_error{proto_code::unavailable,
                               "the user's node did not answer; retry", 1000},
                   {});
              self->quit();
            });
  });
}

void node::wake_push_burst(const storage::push_entry& b) {
  // Not an actor of a shard another node leads now.
  if (!impl_->ctx.push || !impl_->dir.is_local(b.job.conv_id)) return;
  caf::anon_send(impl_->dir.conversation(b.job.conv_id), push_atom::value,
                 b.seq, b.job.msg_id, b.job.sender, b.job.created_ms);
}

bool node::leads(const std::string& id) const {
  // Before the cluster set any route every id looks local: none is led yet.
  return impl_->dir.clustered() && impl_->dir.is_local(id);
}

std::uint32_t node::unread_conversations(const std::string& user,
                                         std::chrono::milliseconds timeout) {
  auto& log = impl_->ctx.log;
  auto incomplete = [&](const std::string& why) {
    metrics::emit(log, "debug", "badge_incomplete",
                  {{"user_id", user}, {"error", why}});
  };
  auto convs = impl_->ctx.store->inbox(user);
  if (!convs) {
    incomplete(convs.err().message);
    return 0;
  }
  if (convs->size() > 1000) convs->resize(1000);
  auto g = group_by_owner(impl_->dir, *convs);
  if (!g.err.ok()) incomplete(g.err.message);
  auto pick = [&](const std::vector<std::size_t>& pos) {
    std::vector<std::string> out;
    for (auto i : pos) out.push_back((*convs)[i]);
    return out;
  };
  std::uint32_t n = 0;
  if (auto here = impl_->ctx.store->unread_among(user, pick(g.here)))
    n += *here;
  else
    incomplete(here.err().message);
  if (g.elsewhere.empty()) return n;
  // Every node asked at once, each answer awaited against the same
  // deadline: a node that does not answer costs `timeout` once.
  caf::scoped_actor self{impl_->sys};
  using handle =
      decltype(self->request(g.elsewhere[0].first, timeout, unread_atom::value,
                             user, std::vector<std::string>{}));
  std::vector<handle> asked;
  for (auto& [registry, pos] : g.elsewhere)
    asked.push_back(
        self->request(registry, timeout, unread_atom::value, user, pick(pos)));
  for (auto& h : asked)
    h.receive([&](std::uint32_t k) { n += k; },
              [&](caf::error& e) { incomplete(impl_->sys.render(e)); });
  return n;
}

}  // namespace switchboard::actors
