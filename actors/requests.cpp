#include "actors/requests.hpp"

#include <memory>
#include <type_traits>

#include "actors/blocking.hpp"
#include "actors/conversation_ids.hpp"
#include "actors/directory.hpp"
#include "actors/events.hpp"
#include "actors/inbox.hpp"
#include "metrics/metrics.hpp"

namespace switchboard::actors {

namespace {

using rid_t = events::rid_t;

constexpr int max_attempts = 3;

// Asks the conversation's actor, wherever it is now. An actor that
// passivated between the directory lookup and the request is looked up
// again; a timeout is `unavailable`.
template <class Reply, class Self, class Atom, class Req, class OnReply,
          class OnFail>
void ask_conversation(Self* self, node_context* ctx, const std::string& conv_id,
                      Atom atom, const Req& req, OnReply on_reply,
                      OnFail on_fail, int attempt = 0) {
  auto conv = ctx->dir->conversation(conv_id);
  self->request(conv, request_timeout(self, conv, ctx->lim.request_timeout),
                atom, req)
      .then(
          [on_reply](Reply& r) mutable { on_reply(r); },
          [self, ctx, conv_id, atom, req, on_reply, on_fail,
           attempt](caf::error& e) {
            if (e != caf::sec::request_timeout && attempt + 1 < max_attempts) {
              ask_conversation<Reply>(self, ctx, conv_id, atom, req, on_reply,
                                      on_fail, attempt + 1);
              return;
            }
            on_fail(
                proto_error{"unavailable",
                            "the conversation did not answer in time; retry"});
          });
}

template <class Self>
struct asker {
  Self* self;
  request_context rc;
  rid_t rid;

  void answer(std::string text) const { rc.answer(std::move(text)); }
  void fail(const proto_error& e) const {
    rc.ctx->metrics->error(e.code);
    answer(events::error(rid, e));
  }
  auto on_fail() const {
    return [a = *this](const proto_error& e) { a.fail(e); };
  }

  // proto_error replies: `ok` when answer_ok, nothing otherwise.
  template <class Atom, class Req>
  void ask_plain(const std::string& conv_id, Atom atom, const Req& req,
                 bool answer_ok) const {
    ask_conversation<proto_error>(
        self, rc.ctx, conv_id, atom, req,
        [a = *this, answer_ok](proto_error& e) {
          if (!e.ok())
            a.fail(e);
          else
            a.answer(answer_ok ? events::ok(a.rid) : std::string());
        },
        on_fail());
  }
};

template <class Self>
void ask_presence(const asker<Self>& a, client_frame& f) {
  struct gather {
    std::vector<presence_status> statuses;
    std::size_t left;
  };
  auto g = std::make_shared<gather>();
  g->statuses.resize(f.user_ids.size());
  g->left = f.user_ids.size();
  auto* ctx = a.rc.ctx;
  for (std::size_t i = 0; i < f.user_ids.size(); ++i) {
    auto id = f.user_ids[i];
    auto done = [a, g, i](presence_status s) {
      g->statuses[i] = std::move(s);
      if (--g->left == 0) a.answer(events::presence(a.rid, g->statuses));
    };
    auto fail = [done, id](caf::error&) {
      done(presence_status{id, false, 0});
    };
    auto ua = ctx->dir->user(id);
    auto timeout = request_timeout(a.self, ua, ctx->lim.request_timeout);
    if constexpr (std::is_same_v<Self, session_actor::base>) {
      if (f.subscribe) {
        a.self
            ->request(ua, timeout, subscribe_atom::value,
                      caf::actor_cast<session_actor>(a.self))
            .then([done](presence_status& s) { done(s); }, fail);
        continue;
      }
    }
    a.self->request(ua, timeout, presence_atom::value)
        .then([done](presence_status& s) { done(s); }, fail);
  }
}

template <class Self>
void handle(Self* self, request_context rc, client_frame& f) {
  auto* counted = rc.ctx;
  counted->requests_in_flight.fetch_add(1);
  rc.answer = [counted, inner = std::move(rc.answer)](std::string text) {
    inner(std::move(text));
    counted->requests_in_flight.fetch_sub(1);
  };
  asker<Self> a{self, std::move(rc), f.rid};
  auto* ctx = a.rc.ctx;
  const auto& user = a.rc.user;
  const auto& origin = a.rc.origin_session;
  const auto& t = f.type;
  auto rid = f.rid;
  if (t == "ping") {
    a.answer(events::pong(rid));
  } else if (t == "create") {
    auto conv_id = f.kind == "direct"
                       ? direct_conversation_id(f.members[0], f.members[1])
                       : new_group_id();
    ask_conversation<create_reply>(
        self, ctx, conv_id, create_atom::value,
        create_request{user, origin, f.kind, f.members, f.title},
        [a](create_reply& r) {
          if (!r.err.ok())
            a.fail(r.err);
          else
            a.answer(events::created(a.rid, r));
        },
        a.on_fail());
  } else if (t == "send") {
    auto conv_id = f.conv_id, cmid = f.client_msg_id;
    auto start = std::chrono::steady_clock::now();
    ask_conversation<send_reply>(
        self, ctx, f.conv_id, send_atom::value,
        send_request{user, origin, f.client_msg_id, f.body},
        [a, conv_id, cmid, start](send_reply& r) {
          if (!r.err.ok()) return a.fail(r.err);
          a.rc.ctx->metrics->send_latency.observe(
              std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                            start)
                  .count());
          a.answer(events::sent(a.rid, conv_id, cmid, r));
        },
        a.on_fail());
  } else if (t == "ack" || t == "read") {
    a.ask_plain(f.conv_id, cursor_atom::value,
                cursor_request{user, origin, t == "read", f.msg_id}, false);
  } else if (t == "sync") {
    sync_request req{user, f.has_after, f.after, f.before, f.limit};
    if (f.has_before && f.before == 0) req.before = 1;  // nothing is below 0
    auto conv_id = f.conv_id;
    ask_conversation<history_reply>(
        self, ctx, f.conv_id, sync_atom::value, req,
        [a, conv_id](history_reply& r) {
          if (!r.err.ok())
            a.fail(r.err);
          else
            a.answer(events::history(a.rid, conv_id, r));
        },
        a.on_fail());
  } else if (t == "conversations") {
    run_blocking(
        self, *ctx->pool,
        [store = ctx->store, user, rid] {
          return read_inbox(*store, user, rid);
        },
        [a](std::string frame) { a.answer(std::move(frame)); });
  } else if (t == "members") {
    a.ask_plain(f.conv_id, members_atom::value,
                members_request{user, origin, f.add, f.remove}, true);
  } else if (t == "typing") {
    a.ask_plain(f.conv_id, typing_atom::value, user, false);
  } else if (t == "presence") {
    ask_presence(a, f);
  } else {
    a.fail(proto_error{"bad_request", "unknown type '" + t + "'"});
  }
}

}  // namespace

void handle_request(session_actor::base* self, request_context rc,
                    client_frame& f) {
  handle(self, std::move(rc), f);
}

void handle_request(caf::event_based_actor* self, request_context rc,
                    client_frame& f) {
  handle(self, std::move(rc), f);
}

}  // namespace switchboard::actors
