#include "actors/requests.hpp"

#include <algorithm>
#include <memory>
#include <optional>
#include <type_traits>

#include "actors/blocking.hpp"
#include "actors/budget_check.hpp"
#include "actors/conversation_ids.hpp"
#include "actors/denial_pacer.hpp"
#include "actors/directory.hpp"
#include "actors/events.hpp"
#include "actors/gather.hpp"
#include "actors/inbox.hpp"
#include "actors/presence_check.hpp"
#include "actors/timed_request.hpp"
#include "common/overloaded.hpp"
#include "metrics/metrics.hpp"

namespace switchboard::actors {

namespace {

using rid_t = events::rid_t;

constexpr int max_attempts = 3;
// What a client waits before it retries a request nobody answered.
constexpr std::int64_t retry_after_ms = 1000;

// One client request in flight, shared by the callbacks that may answer
// it: each holds a pointer, so the request's strings are copied once.
// Counted in node_context::requests_in_flight until answered, or until the
// last callback is gone without answering (the asking actor ended, as when
// its client disconnected mid-request): shutdown must not wait for it.
template <class Self>
struct call : std::enable_shared_from_this<call<Self>> {
  call(Self* s, request_context r, rid_t id)
      : self(s), rc(std::move(r)), rid(std::move(id)) {
    rc.ctx->requests_in_flight.fetch_add(1);
  }
  ~call() {
    if (answered) return;
    rc.ctx->requests_in_flight.fetch_sub(1);
    // Nor may the connection's own count of requests in flight leak, or
    // a connection that lives on would stop being read.
    if (rc.conn) {
      if (reserved) rc.conn->release(reserved);
      rc.conn->request_done();
    }
  }
  call(const call&) = delete;
  call& operator=(const call&) = delete;

  Self* self;
  request_context rc;
  rid_t rid;
  std::string conv_id;
  std::string client_msg_id;  // send
  std::chrono::steady_clock::time_point start;
  std::size_t reserved = 0;  // queue room held for the answer (sync)
  bool answered = false;

  node_context* ctx() const { return rc.ctx; }
  void answer(std::string text) {
    if (answered) return;  // one answer per request
    answered = true;
    rc.answer(std::move(text));
    if (reserved) rc.conn->release(reserved);
    rc.ctx->requests_in_flight.fetch_sub(1);
  }
  void fail(const proto_error& e) {
    rc.ctx->metrics->error(e.code);
    if (e.code == proto_code::forbidden)
      if (auto held = denial_hold(); held.count() > 0) {
        // Answered as it is, later (denial_pacer.hpp).
        self->delayed_send(self, held, continue_atom::value,
                           continuation{[c = this->shared_from_this(), e] {
                             c->answer(events::error(c->rid, e));
                           }});
        return;
      }
    answer(events::error(rid, e));
  }

  // How long to hold a `forbidden` answer: 0 while the user's `denied`
  // budget has tokens.
  std::chrono::milliseconds denial_hold() {
    auto& ctx = *rc.ctx;
    // over_budget counts the hit (rate_denied); its refusal is not sent.
    auto over = over_budget(ctx, request_kind::denied, rc.user);
    if (over.ok() || !ctx.denials) return std::chrono::milliseconds(0);
    auto wait = over.retry_after_ms;
    auto rate =
        ctx.lim.budgets[static_cast<std::size_t>(request_kind::denied)].rate;
    auto interval = std::chrono::milliseconds(
        rate > 0 ? static_cast<std::int64_t>(1000.0 / rate) : 1000);
    return ctx.denials->hold(rc.user, std::chrono::milliseconds(wait),
                             interval);
  }
};

template <class Self>
using call_ptr = std::shared_ptr<call<Self>>;

// Asks again, inside the asking actor, after a request failed other than
// by a timeout: at once when the actor had gone away (it is activated
// anew), after a pause when its shard had changed hands (not_owner: the
// routes follow within a publish tick, so an immediate retry would ask the
// old owner again).
template <class Self, class F>
void ask_again(Self* self, const caf::error& e, int attempt, F again) {
  if (e != make_cluster_error(cluster_errc::not_owner)) return again();
  caf::delayed_anon_send(caf::actor_cast<caf::actor>(self),
                         std::chrono::milliseconds(100 * (attempt + 1)),
                         continue_atom::value, continuation{std::move(again)});
}

// The error for a request that got no answer after its retries.
inline proto_error no_answer(const caf::error& e) {
  if (e == make_cluster_error(cluster_errc::not_owner))
    return {proto_code::unavailable,
            "the conversation's shard is moving; retry", retry_after_ms};
  return {proto_code::unavailable,
          "the conversation did not answer in time; retry", retry_after_ms};
}

// The metric label of a request to a conversation by its atom: the
// remote_kind whose name is the atom's (count_ when none is).
template <class Atom>
struct atom_of;
template <caf::atom_value V>
struct atom_of<caf::atom_constant<V>> {
  static constexpr std::uint64_t value = static_cast<std::uint64_t>(V);
};
template <class Atom>
constexpr metrics::remote_kind remote_kind_of() {
  for (std::size_t i = 0; i < metrics::remote_kinds.size(); ++i)
    if (caf::detail::atom_val(metrics::remote_kinds[i].data()) ==
        atom_of<Atom>::value)
      return static_cast<metrics::remote_kind>(i);
  return metrics::remote_kind::count_;
}

// Asks the conversation's actor, wherever it is now. An actor that
// passivated between the directory lookup and the request is looked up
// again; a timeout is `unavailable`. `on_reply(call, reply)` runs inside
// the asking actor.
template <class Reply, class Self, class Atom, class Req, class OnReply>
void ask_conversation(call_ptr<Self> c, Atom atom,
                      std::shared_ptr<const Req> req, OnReply on_reply,
                      int attempt = 0) {
  auto* self = c->self;
  auto d =
      c->ctx()->dir->to_conversation(c->conv_id, caf::make_message(atom, *req));
  if (!d.err.ok()) return c->fail(d.err);
  auto asked = std::chrono::steady_clock::now();
  constexpr auto kind = remote_kind_of<Atom>();
  static_assert(kind != metrics::remote_kind::count_,
                "a conversation request's atom needs its metrics::remote_kind");
  auto count = [c, asked, remote = d.remote](Atom, bool ok) {
    if (!remote) return;
    std::chrono::duration<double> took =
        std::chrono::steady_clock::now() - asked;
    c->ctx()->metrics->remote_request(kind, ok, took.count());
  };
  timed_request(self, c->rc.timer, d.actor, timeout_of(d, c->ctx()->lim),
                std::move(d.msg))
      .then(
          [c, on_reply, count, atom](Reply& r) {
            count(atom, true);
            on_reply(*c, r);
          },
          [c, atom, req, on_reply, attempt, count](caf::error& e) {
            count(atom, false);
            if (e != caf::sec::request_timeout && attempt + 1 < max_attempts)
              return ask_again(c->self, e, attempt,
                               [c, atom, req, on_reply, attempt] {
                                 ask_conversation<Reply>(c, atom, req, on_reply,
                                                         attempt + 1);
                               });
            c->fail(no_answer(e));
          });
}

template <class Reply, class Self, class Atom, class Req, class OnReply>
void ask_conversation(call_ptr<Self> c, Atom atom, Req req, OnReply on_reply) {
  ask_conversation<Reply>(std::move(c), atom,
                          std::make_shared<const Req>(std::move(req)),
                          std::move(on_reply));
}

// A conversation request answered by a proto_error: `ok` when answer_ok,
// nothing otherwise.
template <class Self, class Atom, class Req>
void ask_plain(call_ptr<Self> c, Atom atom, Req req, bool answer_ok) {
  ask_conversation<proto_error>(
      std::move(c), atom, std::move(req),
      [answer_ok](call<Self>& c, proto_error& e) {
        if (!e.ok())
          c.fail(e);
        else
          c.answer(answer_ok ? events::ok(c.rid) : std::string());
      });
}

// Has the session try its subscription of `id` again soon (the user's
// shard had no owner, its owner did not answer, or the policy could not
// be checked): session_presence.hpp's resubscribe, from its first step.
void subscribe_later(session_actor::base* self, const std::string& id) {
  self->delayed_send(caf::actor_cast<session_actor>(self),
                     std::chrono::milliseconds(500), subscribe_atom::value, id,
                     std::uint32_t{1});
}

// Asks the user actors of `ids` whose presence the caller may see
// (`visible`); the others are offline with last_seen null, and not
// subscribed to. Those of `subscribe` are subscribed to, on check
// `check`'s verdict.
template <class Self>
void gather_presence(const call_ptr<Self>& c, std::vector<std::string> ids,
                     const std::vector<bool>& visible,
                     const std::vector<bool>& subscribe, std::uint64_t check) {
  struct gather {
    std::vector<presence_status> statuses;
    std::size_t left;
  };
  auto g = std::make_shared<gather>();
  g->statuses.resize(ids.size());
  g->left = ids.size();
  auto* ctx = c->ctx();
  auto* self = c->self;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto id = ids[i];
    bool sub = false;
    if constexpr (std::is_same_v<Self, session_actor::base>)
      sub = subscribe[i] && c->rc.presence;
    // What the answer tells of a subscription is not said again by an
    // event (presence_watch::told).
    auto done = [c, g, i, sub](presence_status s) {
      if (sub) c->rc.presence->told(s.user_id, s.online, s.last_seen);
      g->statuses[i] = std::move(s);
      if (--g->left == 0) c->answer(events::presence(c->rid, g->statuses));
    };
    // A subscription nobody took (the user's shard has no owner now, or
    // its owner did not answer) is tried again by the session, as when
    // the user's actor goes away later.
    auto retry_later = [self, id, sub] {
      if constexpr (std::is_same_v<Self, session_actor::base>)
        if (sub) subscribe_later(self, id);
    };
    auto fail = [done, id, retry_later](caf::error&) {
      retry_later();
      done(presence_status{id, false, 0});
    };
    if (!visible[i]) {
      done(presence_status{id, false, 0});
      continue;
    }
    caf::message m = caf::make_message(presence_atom::value);
    if constexpr (std::is_same_v<Self, session_actor::base>)
      if (sub)
        m = caf::make_message(subscribe_atom::value,
                              caf::actor_cast<session_actor>(self));
    // A user whose shard has no owner now is shown offline, as one whose
    // owner does not answer.
    auto d = ctx->dir->to_user(id, std::move(m));
    if (!d.err.ok()) {
      retry_later();
      done(presence_status{id, false, 0});
      continue;
    }
    auto asked = std::chrono::steady_clock::now();
    auto count = [ctx, asked, remote = d.remote](bool ok) {
      if (!remote) return;
      std::chrono::duration<double> took =
          std::chrono::steady_clock::now() - asked;
      ctx->metrics->remote_request(metrics::remote_kind::presence, ok,
                                   took.count());
    };
    auto* w = c->rc.presence;
    if (sub) w->asking(id);
    timed_request(self, c->rc.timer, d.actor, timeout_of(d, ctx->lim),
                  std::move(d.msg))
        .then(
            [self, done, count, id, sub, check, w](presence_status& s) {
              count(true);
              if constexpr (std::is_same_v<Self, session_actor::base>)
                if (sub) {
                  w->answered(id);
                  if (!keep_presence_of(self, *w, id, check))
                    s = presence_status{id, false, 0};
                }
              done(s);
            },
            [fail, count, sub, w, id](caf::error& e) {
              count(false);
              if (sub) w->answered(id);
              fail(e);
            });
  }
}

template <class Self>
void ask_presence(const call_ptr<Self>& c, request::presence& f) {
  auto* ctx = c->ctx();
  auto* w = c->rc.presence;
  bool subscribe = f.subscribe && w;
  std::uint64_t check = 0;
  if (subscribe) {
    std::size_t fresh = 0;
    for (auto& id : f.user_ids) fresh += w->subscriptions.count(id) == 0;
    if (w->subscriptions.size() + fresh > ctx->lim.max_presence_subscriptions) {
      ctx->metrics->limit_hit("presence_subscriptions");
      return c->fail(proto_error{
          proto_code::bad_request,
          "a connection watches the presence of at most " +
              std::to_string(ctx->lim.max_presence_subscriptions) + " users"});
    }
    // Counted whether or not the user turns out to be visible: the cap
    // must not tell strangers from others.
    w->subscriptions.insert(f.user_ids.begin(), f.user_ids.end());
    check = w->begin_check(f.user_ids);
  }
  auto ids = std::make_shared<std::vector<std::string>>(std::move(f.user_ids));
  check_presence(c->self, ctx, c->rc.user, *ids,
                 [c, ids, subscribe, check](bool ok, std::vector<bool> shown) {
                   // Subscribed where this check still decides (a later one,
                   // begun since, subscribes on its own verdict); a
                   // subscription it hides ends, and one it could not check is
                   // checked again later.
                   std::vector<bool> sub(ids->size(), false);
                   if constexpr (std::is_same_v<Self, session_actor::base>)
                     if (subscribe)
                       for (std::size_t i = 0; i < ids->size(); ++i) {
                         auto& id = (*ids)[i];
                         sub[i] = c->rc.presence->decide(id, check, shown[i]);
                         if (!sub[i] || shown[i]) continue;
                         drop_presence_of(c->self, *c->rc.presence, id);
                         if (!ok) subscribe_later(c->self, id);
                       }
                   gather_presence(c, std::move(*ids), shown, sub, check);
                 });
}

template <class Self>
void send(const call_ptr<Self>& c, request::send& f,
          std::chrono::steady_clock::time_point arrived) {
  c->conv_id = f.conv_id;
  c->client_msg_id = f.client_msg_id;
  c->start = arrived != std::chrono::steady_clock::time_point{}
                 ? arrived
                 : std::chrono::steady_clock::now();
  ask_conversation<send_reply>(
      c, send_atom::value,
      send_request{c->rc.user, c->rc.origin_session, std::move(f.client_msg_id),
                   std::move(f.body)},
      [](call<Self>& c, send_reply& r) {
        if (!r.err.ok()) return c.fail(r.err);
        auto took = std::chrono::duration<double>(
                        std::chrono::steady_clock::now() - c.start)
                        .count();
        c.ctx()->metrics->send_latency.observe(took);
        c.ctx()->metrics->slow_sends.note(c.conv_id, took);
        c.answer(events::sent(c.rid, c.conv_id, c.client_msg_id, r));
      });
}

// Several sends of one connection to one conversation (request_lanes) as
// one request: one answer each, as if each had been asked alone.
void ask_sends(session_actor::base* self, node_context* ctx, std::string conv,
               std::shared_ptr<const std::vector<send_request>> reqs,
               std::vector<call_ptr<session_actor::base>> calls,
               int attempt = 0) {
  auto fail_all = [calls](const proto_error& e) {
    for (auto& c : calls) c->fail(e);
  };
  auto d = ctx->dir->to_conversation(
      conv, caf::make_message(send_atom::value, *reqs));
  if (!d.err.ok()) return fail_all(d.err);
  auto asked = std::chrono::steady_clock::now();
  auto count = [ctx, asked, remote = d.remote](bool ok) {
    if (!remote) return;
    std::chrono::duration<double> took =
        std::chrono::steady_clock::now() - asked;
    ctx->metrics->remote_request(metrics::remote_kind::send, ok, took.count());
  };
  timed_request(self, calls.front()->rc.timer, d.actor, timeout_of(d, ctx->lim),
                std::move(d.msg))
      .then(
          [calls, count, fail_all](std::vector<send_reply>& rs) {
            count(true);
            if (rs.size() != calls.size()) {
              metrics::emit(calls.front()->ctx()->log, "error",
                            "send_batch_answers_lost",
                            {{"sent", std::to_string(calls.size())},
                             {"answered", std::to_string(rs.size())}});
              return fail_all(proto_error{proto_code::internal,
                                          "a batch of sends lost answers"});
            }
            auto now = std::chrono::steady_clock::now();
            for (std::size_t i = 0; i < rs.size(); ++i) {
              auto& c = calls[i];
              if (!rs[i].err.ok()) {
                c->fail(rs[i].err);
                continue;
              }
              auto took = std::chrono::duration<double>(now - c->start).count();
              c->ctx()->metrics->send_latency.observe(took);
              c->ctx()->metrics->slow_sends.note(c->conv_id, took);
              c->answer(
                  events::sent(c->rid, c->conv_id, c->client_msg_id, rs[i]));
            }
          },
          [self, ctx, conv, reqs, calls, attempt, count,
           fail_all](caf::error& e) {
            count(false);
            if (e != caf::sec::request_timeout && attempt + 1 < max_attempts)
              return ask_again(
                  self, e, attempt, [self, ctx, conv, reqs, calls, attempt] {
                    ask_sends(self, ctx, conv, reqs, calls, attempt + 1);
                  });
            fail_all(no_answer(e));
          });
}

template <class Self>
void handle(Self* self, request_context rc, client_frame& f) {
  auto c = std::make_shared<call<Self>>(self, std::move(rc), f.rid);
  auto* ctx = c->ctx();
  const auto& user = c->rc.user;
  const auto& origin = c->rc.origin_session;
  c->conv_id = f.conv_id();
  // Kinds with no conversation to check first take from their budget
  // here; the others do in the conversation, after membership (the
  // protocol's order of errors puts rate_limited last).
  auto budget = [&](request_kind kind, double cost = 1) {
    auto err = over_budget(*ctx, kind, user, cost);
    if (!err.ok()) c->fail(err);
    return err.ok();
  };
  std::visit(
      overloaded{
          [&](request::ping&) {
            if (budget(request_kind::ping)) c->answer(events::pong(c->rid));
          },
          [&](request::conversations& r) {
            if (!budget(request_kind::conversations)) return;
            auto limit = r.limit ? r.limit : ctx->lim.inbox_page;
            auto members = ctx->lim.inbox_page_members;
            if (!ctx->dir->clustered()) {
              run_blocking(
                  self, *ctx->pool,
                  [store = ctx->store, user, after = r.after, limit, members,
                   rid = c->rid] {
                    return read_inbox(*store, user, after, limit, members, rid);
                  },
                  [c](std::string frame) { c->answer(std::move(frame)); });
              return;
            }
            // One past the limit says whether there are more.
            gather_inbox_page(
                self, ctx, user, r.after, limit + 1,
                [c, self, ctx, user, limit, members](
                    proto_error err, std::vector<std::string> ids) {
                  if (!err.ok()) return c->fail(err);
                  // Before the callback below takes `ids`.
                  auto asked = page_ids(ids, limit);
                  gather_summaries(
                      self, ctx, user, std::move(asked), members,
                      [c, limit, ids = std::move(ids)](proto_error err,
                                                       summary_page p) mutable {
                        if (!err.ok()) return c->fail(err);
                        c->answer(inbox_frame(
                            c->rid,
                            page_of(std::move(ids), limit, std::move(p))));
                      });
                });
          },
          [&](request::create& r) {
            if (!budget(request_kind::create)) return;
            // A group's members are users added, as by `members`: one token
            // each (at most the bucket's size), or a create would add
            // thousands of users to inboxes for the price of one request.
            if (r.kind == "group" && r.members.size() > 1 &&
                !budget(request_kind::members,
                        static_cast<double>(r.members.size() - 1)))
              return;
            c->conv_id = r.kind == "direct"
                             ? direct_conversation_id(
                                   *ctx->direct_ids, r.members[0], r.members[1])
                             : new_group_id();
            ask_conversation<create_reply>(
                c, create_atom::value,
                create_request{user, origin, r.kind, r.members, r.title},
                [](call<Self>& c, create_reply& r) {
                  if (!r.err.ok())
                    c.fail(r.err);
                  else
                    c.answer(events::created(c.rid, r));
                });
          },
          [&](request::send& r) { send(c, r, f.arrived); },
          [&](request::cursor& r) {
            ask_plain(c, cursor_atom::value,
                      cursor_request{user, origin, r.read, r.msg_id}, false);
          },
          [&](request::sync& r) {
            sync_request req{user, r.has_after, r.after, r.before, r.limit};
            if (auto& conn = c->rc.conn) {
              // The page counts against the connection's queue before it
              // is built: a client that asks for pages and does not read
              // them gets shorter ones (has_more tells it to ask again),
              // not gigabytes held for it. One message always fits, so it
              // can make progress.
              std::size_t per_message = ctx->lim.max_body + 192;
              c->reserved = conn->reserve(r.limit * per_message);
              req.limit = static_cast<std::uint32_t>(std::clamp<std::size_t>(
                  c->reserved / per_message, 1, r.limit));
            }
            if (r.has_before && r.before == 0)
              req.before = 1;  // nothing is below 0
            ask_conversation<history_reply>(
                c, sync_atom::value, req, [](call<Self>& c, history_reply& r) {
                  if (!r.err.ok())
                    c.fail(r.err);
                  else
                    c.answer(events::history(c.rid, c.conv_id, r));
                });
          },
          [&](request::typing&) {
            ask_plain(c, typing_atom::value, user, false);
          },
          [&](request::members& r) {
            ask_plain(c, members_atom::value,
                      members_request{user, origin, r.add, r.remove}, true);
          },
          [&](request::receipts& r) {
            ask_conversation<cursors_reply>(
                c, cursor_atom::value, cursors_request{user, r.user_ids},
                [](call<Self>& c, cursors_reply& r) {
                  if (!r.err.ok())
                    c.fail(r.err);
                  else
                    c.answer(events::receipts(c.rid, c.conv_id, r));
                });
          },
          [&](request::presence& r) {
            if (budget(request_kind::presence,
                       1 + static_cast<double>(r.user_ids.size()) / 50))
              ask_presence(c, r);
          },
      },
      f.req);
}

}  // namespace

bool keep_presence_of(session_actor::base* self, presence_watch& w,
                      const std::string& user, std::uint64_t n) {
  const auto& src = self->current_sender();
  if (!src) return false;
  if (!w.may_keep(user, n)) {
    caf::anon_send(caf::actor_cast<caf::actor>(src), unwatch_atom::value,
                   caf::actor_cast<session_actor>(self));
    return false;
  }
  if (w.watch(caf::actor_cast<caf::actor_addr>(src), user)) self->monitor(src);
  return true;
}

bool drop_presence_of(session_actor::base* self, presence_watch& w,
                      const std::string& user) {
  auto at = w.unwatch(user);
  if (!at) return false;
  // The session's own user's actor is never dropped (a user always sees
  // itself): this monitor serves nothing else.
  self->demonitor(at);
  if (auto h = caf::actor_cast<caf::actor>(at))
    caf::anon_send(h, unwatch_atom::value,
                   caf::actor_cast<session_actor>(self));
  return true;
}

void handle_request(session_actor::base* self, request_context rc,
                    client_frame& f) {
  handle(self, std::move(rc), f);
}

void handle_request(caf::event_based_actor* self, request_context rc,
                    client_frame& f) {
  handle(self, std::move(rc), f);
}

void handle_sends(session_actor::base* self, const request_context& rc,
                  std::vector<client_frame>& frames) {
  if (frames.empty()) return;
  auto reqs = std::make_shared<std::vector<send_request>>();
  std::vector<call_ptr<session_actor::base>> calls;
  auto start = std::chrono::steady_clock::now();
  for (auto& f : frames) {
    auto& r = std::get<request::send>(f.req);
    auto c = std::make_shared<call<session_actor::base>>(self, rc, f.rid);
    c->conv_id = r.conv_id;
    c->client_msg_id = r.client_msg_id;
    c->start = f.arrived != std::chrono::steady_clock::time_point{} ? f.arrived
                                                                    : start;
    reqs->push_back(send_request{rc.user, rc.origin_session,
                                 std::move(r.client_msg_id),
                                 std::move(r.body)});
    calls.push_back(std::move(c));
  }
  ask_sends(self, rc.ctx, frames.front().conv_id(), std::move(reqs),
            std::move(calls));
}

}  // namespace switchboard::actors
