#include "actors/node.hpp"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <cerrno>
#include <cstring>
#include <random>
#include <thread>

#include "actors/budget_check.hpp"
#include "actors/conversation_actor.hpp"
#include "actors/directory.hpp"
#include "actors/gather.hpp"
#include "actors/io_pool.hpp"
#include "actors/registry.hpp"
#include "actors/replicator.hpp"
#include "actors/request_budgets.hpp"
#include "actors/requests.hpp"
#include "actors/session_actor.hpp"
#include "actors/shard_positions.hpp"
#include "auth/jwt.hpp"
#include "auth/secret.hpp"
#include "metrics/metrics.hpp"
#include "storage/store.hpp"

namespace switchboard::actors {

namespace {

caf::actor_system_config& configure(caf::actor_system_config& cfg,
                                    const node_options& o) {
  register_types(cfg);
  cfg.set("scheduler.max-threads",
          static_cast<std::size_t>(std::max(1, o.scheduler_threads)));
  // An idle worker polls its queue a while before it sleeps on a condition
  // variable. CAF's middle phase polls with 500 sleeps of 50 us, which an
  // enqueue cannot cut short: every hop through a worker in that phase
  // waited out a timer sleep, and the wake-ups cost CPU. Without it the
  // worker spins briefly, then sleeps until notified. Measured (direct,
  // open loop, 10,000 msgs/s): p50 4.1 -> 2.4 ms, p99 12.0 -> 6.6 ms, node
  // CPU 12.7 -> 11.4 s; closed-loop throughput unchanged.
  cfg.set("work-stealing.moderate-poll-attempts", std::size_t{0});
  cfg.set("logger.verbosity", caf::atom("quiet"));
  cfg.set("logger.console", caf::atom("none"));
  if (o.cluster) {
    cfg.load<caf::io::middleman>();
    // DESIGN §5: without heartbeats a hung peer is never noticed. A peer
    // silent for the timeout is dropped, and its actors' monitors get a
    // down_msg (a hint: etcd's lease is the verdict).
    cfg.set("middleman.heartbeat-interval",
            caf::timespan{std::chrono::seconds(1)});
    cfg.set("middleman.connection-timeout",
            caf::timespan{std::chrono::seconds(5)});
    cfg.set("middleman.app-identifiers",
            std::vector<std::string>{o.cluster_app_id});
  }
  return cfg;
}

// A session id: 16 hex digits from a per-thread generator seeded from the
// system's randomness. It names a connection and grants nothing, so it
// must be unique, not unpredictable; RAND_bytes for each took a twentieth
// of a WebSocket handshake's instructions.
std::string new_session_id() {
  thread_local std::mt19937_64 gen{
      (std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}()};
  static constexpr char digits[] = "0123456789abcdef";
  std::string id(16, '0');
  auto v = gen();
  for (int i = 15; i >= 0; --i, v >>= 4)
    id[static_cast<std::size_t>(i)] = digits[v & 15];
  return id;
}

// Hands a connection's frames to its session actor.
class session_handler : public connection_handler {
 public:
  explicit session_handler(session_actor a) : actor_(std::move(a)) {}
  ~session_handler() override { on_close(); }

  void on_frame(std::string text) override {
    caf::anon_send(actor_, frame_atom::value, std::move(text));
  }
  void on_close() override {
    if (closed_.exchange(true)) return;
    caf::anon_send(actor_, closed_atom::value);
  }

 private:
  session_actor actor_;
  std::atomic<bool> closed_{false};
};

// "" when host:port (a numeric IPv4 or IPv6 address, or a name) accepts a
// TCP connection within `timeout`; why not otherwise.
std::string tcp_reachable(const std::string& host, std::uint16_t port,
                          std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  auto service = std::to_string(port);
  if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found);
      rc != 0)
    return "cannot resolve " + host + ": " + ::gai_strerror(rc);
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> guard(found, ::freeaddrinfo);
  int fd =
      ::socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::string("socket: ") + std::strerror(errno);
  std::string why;
  if (::connect(fd, found->ai_addr, found->ai_addrlen) != 0) {
    if (errno != EINPROGRESS) {
      why = std::strerror(errno);
    } else {
      pollfd p{fd, POLLOUT, 0};
      int n = ::poll(&p, 1, static_cast<int>(timeout.count()));
      int err = 0;
      socklen_t len = sizeof err;
      if (n == 0)
        why = "no answer within " + std::to_string(timeout.count()) + " ms";
      else if (n < 0 || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        why = std::strerror(errno);
      else if (err != 0)
        why = std::strerror(err);
    }
  }
  ::close(fd);
  return why.empty() ? why
                     : "cannot connect to " + host + ":" + service + ": " + why;
}

}  // namespace

struct node::impl {
  storage::store& store;
  caf::actor_system_config cfg;
  caf::actor_system sys;
  std::unique_ptr<io_pool> pool;
  request_budgets budgets;
  budget_slices slices;
  node_context ctx;
  directory dir;
  metrics::node_metrics own_metrics;  // when the caller keeps none
  auth::hs256_key direct_ids;
  caf::actor registry;
  std::uint16_t cluster_port = 0;
  // In a cluster: shard replication (DESIGN §5), the store's sink.
  std::unique_ptr<shard_positions> positions;
  std::unique_ptr<replicator> repl;

  impl(storage::store& s, const node_options& o)
      : store(s),
        sys(configure(cfg, o)),
        pool(std::make_unique<io_pool>(o.io_threads)),
        budgets({o.lim.send_rate, o.lim.send_burst}, o.lim.budgets),
        dir(sys, ctx),
        direct_ids(o.direct_id_secret.empty() ? auth::random_hex(32)
                                              : o.direct_id_secret) {
    ctx.node_id = o.node_id;
    ctx.lim = o.lim;
    ctx.store = &store;
    ctx.pool = pool.get();
    ctx.dir = &dir;
    ctx.budgets = &budgets;
    if (o.cluster) {
      positions = std::make_unique<shard_positions>(s.shards());
      if (auto stored = s.positions())
        positions->load(*stored);
      else
        throw std::runtime_error("cannot read the shards' positions: " +
                                 stored.err().message);
      ctx.positions = positions.get();
      ctx.slices = &slices;
      ctx.borrow = [this](budget_slices::borrow b) {
        borrow_from_owner(sys, ctx, std::move(b));
      };
    }
    ctx.metrics = o.metrics ? o.metrics : &own_metrics;
    ctx.direct_ids = &direct_ids;
    ctx.log = o.log;
    ctx.push = o.push;
  }
};

node::node(storage::store& store, node_options options)
    : impl_(std::make_unique<impl>(store, options)) {
  if (!options.cluster) return;
  impl_->repl = std::make_unique<replicator>(impl_->sys, impl_->ctx);
  store.set_replication(impl_->repl.get());
  impl_->registry = spawn_registry(impl_->sys, &impl_->ctx);
  auto port =
      impl_->sys.middleman().publish(impl_->registry, options.cluster_port,
                                     options.cluster_host.c_str(), true);
  if (!port) {
    auto why = impl_->sys.render(port.error());
    caf::anon_send_exit(impl_->registry, caf::exit_reason::user_shutdown);
    impl_->dir.shutdown();
    impl_->sys.await_all_actors_done();
    throw std::runtime_error("cannot listen on the cluster port " +
                             options.cluster_host + ":" +
                             std::to_string(options.cluster_port) + ": " + why);
  }
  impl_->cluster_port = *port;
}

node::~node() {
  if (impl_->registry) {
    caf::anon_send_exit(impl_->registry, caf::exit_reason::user_shutdown);
    (void)impl_->sys.middleman().unpublish(impl_->registry,
                                           impl_->cluster_port);
  }
  impl_->dir.shutdown();
  // From here on no shard takes a write (refused unwritten, so that the
  // store never holds one its followers lack), and what waits for followers
  // fails (closed): nothing waits on a node that is going away.
  if (impl_->repl) impl_->repl->close();
  impl_->sys.await_all_actors_done();
  impl_->pool.reset();  // runs and drops what is queued
  // Every completion of an earlier commit runs before this one's: after it,
  // no write callback can reach into the actor system any more.
  (void)impl_->store.commit_and_wait(
      storage::batch{});  // an empty batch cannot fail usefully
  if (impl_->repl) {
    impl_->store.set_replication(nullptr);
    impl_->repl.reset();
  }
}

std::shared_ptr<connection_handler> node::open_session(
    const std::string& user_id, std::shared_ptr<client_connection> conn,
    const std::string& remote) {
  auto id = new_session_id();
  std::weak_ptr<client_connection> weak = conn;
  auto a = impl_->sys.spawn(session, user_id, id, std::move(conn), &impl_->ctx);
  impl_->dir.add_session(id, a, user_id, remote, std::move(weak));
  return std::make_shared<session_handler>(a);
}

void node::request(const std::string& user, client_frame f,
                   std::function<void(std::string)> answer) {
  auto* ctx = &impl_->ctx;
  impl_->sys.spawn([ctx, user, f = std::move(f), answer = std::move(answer)](
                       caf::event_based_actor* self) mutable {
    handle_request(self,
                   request_context{ctx, user, "",
                                   [self, answer](std::string text) {
                                     answer(std::move(text));
                                     self->quit();
                                   },
                                   nullptr, nullptr},
                   f);
    return caf::behavior{[](continue_atom, continuation& c) { c.fn(); }};
  });
}

void node::admin_members(const std::string& conv_id,
                         std::vector<std::string> add,
                         std::vector<std::string> remove,
                         std::function<void(proto_error)> done) {
  auto* ctx = &impl_->ctx;
  members_request req{"admin", "", std::move(add), std::move(remove), true};
  auto d = impl_->dir.to_conversation(
      conv_id, caf::make_message(members_atom::value, std::move(req)));
  if (!d.err.ok()) return done(d.err);
  impl_->sys.spawn([ctx, d, done](caf::event_based_actor* self) {
    auto timeout =
        d.remote ? ctx->lim.remote_request_timeout : ctx->lim.request_timeout;
    self->request(d.actor, timeout, d.msg)
        .then(
            [self, done](proto_error& e) {
              done(e);
              self->quit();
            },
            [self, done](caf::error&) {
              done(proto_error{"unavailable",
                               "the conversation did not answer; retry", 1000});
              self->quit();
            });
  });
}

proto_error node::take_budget(request_kind kind, const std::string& user) {
  return over_budget(impl_->ctx, kind, user);
}

namespace {

// A write of user data outside the user's actor, to this node's store:
// admitted only while the user's shard is here and not moving away.
void write_user_data(node_context& ctx, const std::string& user,
                     storage::batch b, std::function<void(proto_error)> done) {
  if (!ctx.dir->enter_writes({user}))
    return done(
        proto_error{"unavailable", "the user's shard is moving; retry", 1000});
  ctx.store->commit(std::move(b), [&ctx, user, done](const storage::status& s) {
    ctx.dir->leave_writes({user});
    if (s) return done(proto_error{});
    bool now = s.err().code == storage::errc::unavailable ||
               s.err().code == storage::errc::io_error;
    done(now ? proto_error{"unavailable",
                           "the node cannot write right now; retry: " +
                               s.err().message,
                           1000}
             : proto_error{"internal", "storage error: " + s.err().message});
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
              done(why.empty() ? proto_error{}
                               : proto_error{"unavailable", why, 1000});
              self->quit();
            },
            [self, done](caf::error&) {
              done(proto_error{"unavailable",
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
    return done(proto_error{"unavailable", r.reason, r.retry_after_ms});
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
  write_at_owner(impl_->sys, impl_->ctx, user, std::move(b),
                 caf::make_message(caf::put_atom::value, user, platform, token,
                                   registered_ms),
                 std::move(done));
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
    return done(proto_error{"unavailable", r.reason, r.retry_after_ms}, {});
  if (r.what == kind::local)
    return impl_->pool->post([store = &impl_->store, user, done] {
      auto d = store->devices(user);
      if (!d)
        return done(
            proto_error{"internal", "storage error: " + d.err().message}, {});
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
              done(proto_error{"unavailable",
                               "the user's node did not answer; retry", 1000},
                   {});
              self->quit();
            });
  });
}

storage::store& node::store() { return impl_->store; }

bool node::wait_idle(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  // Polled: this runs once, at shutdown, off every hot path.
  while (impl_->ctx.requests_in_flight.load() > 0) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

metrics::node_metrics& node::metrics() { return *impl_->ctx.metrics; }

directory& node::dir() { return impl_->dir; }

std::uint16_t node::cluster_port() const { return impl_->cluster_port; }

node::peer node::connect_peer(const std::string& host, std::uint16_t port,
                              std::chrono::milliseconds timeout) {
  peer out;
  if (!impl_->registry) {
    out.error = "this node has no cluster port";
    return out;
  }
  // CAF's middleman connects with a blocking connect(2), which waits out
  // the kernel's SYN retries (minutes) for a host that drops packets, and
  // every other connection of the node waits behind it: a peer is tried
  // only once it accepts a TCP connection within the timeout.
  if (auto why = tcp_reachable(host, port, timeout); !why.empty()) {
    out.error = why;
    return out;
  }
  // The middleman's actor, not middleman::remote_actor: that one waits
  // forever for a peer that accepts and never completes the handshake.
  caf::scoped_actor self{impl_->sys};
  self->request(impl_->sys.middleman().actor_handle(), timeout,
                caf::connect_atom::value, host, port)
      .receive(
          [&](const caf::node_id&, caf::strong_actor_ptr& p,
              const std::set<std::string>&) {
            if (!p)
              out.error = "no actor is published at " + host + ":" +
                          std::to_string(port);
            else
              out.registry = caf::actor_cast<caf::actor>(std::move(p));
          },
          [&](caf::error& e) { out.error = impl_->sys.render(e); });
  return out;
}

std::string node::ask(const caf::actor& dest, caf::message m,
                      std::chrono::milliseconds timeout) {
  if (!dest) return "no such actor";
  std::string out;
  caf::scoped_actor self{impl_->sys};
  self->request(dest, timeout, std::move(m))
      .receive(
          [&](std::string& why) { out = std::move(why); },
          [&](caf::error& e) { out = "no answer: " + impl_->sys.render(e); });
  return out;
}

std::optional<std::pair<std::int64_t, std::uint64_t>> node::ask_position(
    const caf::actor& registry, std::uint32_t shard,
    std::chrono::milliseconds timeout) {
  std::optional<std::pair<std::int64_t, std::uint64_t>> out;
  if (!registry) return out;
  caf::scoped_actor self{impl_->sys};
  self->request(registry, timeout, position_atom::value, shard)
      .receive(
          [&](const std::vector<std::int64_t>& p) {
            if (p.size() == 2)
              out.emplace(p[0], static_cast<std::uint64_t>(p[1]));
          },
          [&](caf::error&) {});
  return out;
}

std::optional<std::vector<std::int64_t>> node::ask_positions(
    const caf::actor& registry, std::chrono::milliseconds timeout) {
  std::optional<std::vector<std::int64_t>> out;
  if (!registry) return out;
  caf::scoped_actor self{impl_->sys};
  self->request(registry, timeout, position_atom::value)
      .receive([&](std::vector<std::int64_t>& p) { out = std::move(p); },
               [&](caf::error&) {});
  return out;
}

std::optional<bool> node::peer_connected(const caf::actor& registry,
                                         std::chrono::milliseconds timeout) {
  std::optional<bool> out;
  if (!registry) return false;
  caf::scoped_actor self{impl_->sys};
  self->request(impl_->sys.middleman().actor_handle(), timeout,
                caf::get_atom::value, registry.node())
      .receive(
          [&](const caf::node_id&, const std::string&, std::uint16_t port) {
            out = port != 0;  // 0: no direct connection
          },
          [&](caf::error&) {});
  return out;
}

std::optional<std::int64_t> node::ask_connections(
    const caf::actor& registry, std::chrono::milliseconds timeout) {
  std::optional<std::int64_t> out;
  if (!registry) return out;
  caf::scoped_actor self{impl_->sys};
  self->request(registry, timeout, caf::get_atom::value)
      .receive([&](std::int64_t n) { out = n; }, [&](caf::error&) {});
  return out;
}

std::optional<std::vector<std::pair<std::string, std::int64_t>>>
node::ask_revocations(const caf::actor& registry,
                      std::chrono::milliseconds timeout) {
  std::optional<std::vector<std::pair<std::string, std::int64_t>>> out;
  if (!registry) return out;
  caf::scoped_actor self{impl_->sys};
  self->request(registry, timeout, revoked_atom::value)
      .receive(
          [&](std::vector<std::string>& users,
              std::vector<std::int64_t>& times) {
            out.emplace();
            for (std::size_t i = 0; i < users.size() && i < times.size(); ++i)
              out->emplace_back(std::move(users[i]), times[i]);
          },
          [&](caf::error&) {});
  return out;
}

caf::actor node::registry() const { return impl_->registry; }

void node::set_move_handler(
    std::function<void(std::uint32_t, std::string,
                       std::function<void(std::string)>)>
        fn) {
  impl_->ctx.move_shard = std::move(fn);
}

void node::set_copy_move_handler(
    std::function<void(std::uint32_t, std::string, std::string,
                       std::function<void(std::string)>)>
        fn) {
  impl_->ctx.move_copy = std::move(fn);
}

void node::set_isr_handler(std::function<void(std::uint32_t, std::string,
                                              std::function<void(std::string)>)>
                               fn) {
  impl_->ctx.shrink_isr = std::move(fn);
}

void node::set_hello_handler(
    std::function<void(const std::string&, std::int64_t, const caf::actor&)>
        fn) {
  impl_->ctx.peer_hello = std::move(fn);
}

void node::set_lease_check(std::function<bool()> fn) {
  std::atomic_store(
      &impl_->ctx.lease_check,
      std::shared_ptr<const std::function<bool()>>(
          fn ? std::make_shared<const std::function<bool()>>(std::move(fn))
             : nullptr));
}

shard_positions* node::positions() const { return impl_->positions.get(); }

replicator* node::replication() const { return impl_->repl.get(); }

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

void node::set_admin_handler(
    std::function<void(std::string, std::string, std::string,
                       std::function<void(int, std::string)>)>
        fn) {
  impl_->ctx.admin_local = std::move(fn);
}

std::pair<int, std::string> node::ask_admin(const caf::actor& registry,
                                            const std::string& method,
                                            const std::string& target,
                                            const std::string& body,
                                            std::chrono::milliseconds timeout) {
  auto unavailable = [](const std::string& why) {
    boost::json::object e{{"code", "unavailable"}, {"message", why}};
    return std::pair<int, std::string>{
        503, boost::json::serialize(boost::json::object{{"error", e}})};
  };
  if (!registry) return unavailable("no such node");
  std::pair<int, std::string> out;
  caf::scoped_actor self{impl_->sys};
  self->request(registry, timeout, admin_atom::value, method, target, body)
      .receive(
          [&](std::int32_t status, std::string& text) {
            out = {status, std::move(text)};
          },
          [&](caf::error& e) {
            out =
                unavailable("the node did not answer: " + impl_->sys.render(e));
          });
  return out;
}

void node::on_down(const caf::actor& registry,
                   std::function<void(std::string)> fn) {
  auto* sys = &impl_->sys;
  impl_->sys.spawn<caf::hidden>(
      [registry, fn, sys](caf::event_based_actor* self) {
        self->monitor(registry);
        self->set_down_handler([self, fn, sys](caf::down_msg& dm) {
          fn(sys->render(dm.reason));
          self->quit();
        });
        return caf::behavior{[](int) {}};
      });
}
const limits& node::lim() const { return impl_->ctx.lim; }

}  // namespace switchboard::actors
