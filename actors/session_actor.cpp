#include "actors/session_actor.hpp"

#include <memory>

#include "actors/blocking.hpp"
#include "actors/conversation_ids.hpp"
#include "actors/directory.hpp"
#include "actors/events.hpp"
#include "actors/frame.hpp"
#include "actors/inbox.hpp"

namespace switchboard::actors {

namespace {

using self_ptr = session_actor::stateful_pointer<session_state>;
using rid_t = events::rid_t;

constexpr int max_attempts = 3;

void write(self_ptr self, std::string text) {
  self->state.conn->send_text(std::move(text));
}

void write_error(self_ptr self, const rid_t& rid, const proto_error& e) {
  write(self, events::error(rid, e));
}

proto_error unavailable() {
  return {"unavailable", "the conversation did not answer in time; retry"};
}

// Asks the conversation's actor, wherever it is now. An actor that
// passivated between the directory lookup and the request is looked up
// again; a timeout is `unavailable`.
template <class Reply, class Atom, class Req, class OnReply>
void ask_conversation(self_ptr self, const std::string& conv_id, Atom atom,
                      const Req& req, const rid_t& rid, OnReply on_reply,
                      int attempt = 0) {
  auto conv = self->state.ctx->dir->conversation(conv_id);
  self->request(conv, self->state.ctx->lim.request_timeout, atom, req)
      .then([on_reply](Reply& r) mutable { on_reply(r); },
            [self, conv_id, atom, req, rid, on_reply, attempt](caf::error& e) {
              if (e != caf::sec::request_timeout && attempt + 1 < max_attempts) {
                ask_conversation<Reply>(self, conv_id, atom, req, rid, on_reply,
                                        attempt + 1);
                return;
              }
              write_error(self, rid, unavailable());
            });
}

// Answers `ok` on success when `answer_ok`, an error frame otherwise.
auto ok_or_error(self_ptr self, rid_t rid, bool answer_ok) {
  return [self, rid, answer_ok](proto_error& e) {
    if (!e.ok()) write_error(self, rid, e);
    else if (answer_ok) write(self, events::ok(rid));
  };
}

void handle_create(self_ptr self, client_frame& f) {
  auto& st = self->state;
  create_request req{st.user_id, st.session_id, f.kind, f.members, f.title};
  auto conv_id = f.kind == "direct" ? direct_conversation_id(f.members[0], f.members[1])
                                    : new_group_id();
  ask_conversation<create_reply>(self, conv_id, create_atom::value, req, f.rid,
                                 [self, rid = f.rid](create_reply& r) {
                                   if (!r.err.ok()) write_error(self, rid, r.err);
                                   else write(self, events::created(rid, r));
                                 });
}

void handle_presence(self_ptr self, client_frame& f) {
  struct gather {
    std::vector<presence_status> statuses;
    std::size_t left;
  };
  auto g = std::make_shared<gather>();
  g->statuses.resize(f.user_ids.size());
  g->left = f.user_ids.size();
  auto rid = f.rid;
  auto me = caf::actor_cast<session_actor>(self);
  for (std::size_t i = 0; i < f.user_ids.size(); ++i) {
    auto id = f.user_ids[i];
    auto done = [self, g, i, rid](presence_status s) {
      g->statuses[i] = std::move(s);
      if (--g->left == 0) write(self, events::presence(rid, g->statuses));
    };
    auto fail = [done, id](caf::error&) { done(presence_status{id, false, 0}); };
    auto ua = self->state.ctx->dir->user(id);
    auto timeout = self->state.ctx->lim.request_timeout;
    if (f.subscribe)
      self->request(ua, timeout, subscribe_atom::value, me)
          .then([done](presence_status& s) { done(s); }, fail);
    else
      self->request(ua, timeout, presence_atom::value)
          .then([done](presence_status& s) { done(s); }, fail);
  }
}

void handle_frame(self_ptr self, const std::string& text) {
  auto& st = self->state;
  auto parsed = parse_frame(text, st.user_id, st.ctx->lim);
  if (!parsed.frame) {
    write_error(self, parsed.rid, parsed.err);
    return;
  }
  auto& f = *parsed.frame;
  const auto& t = f.type;
  auto rid = f.rid;
  if (t == "ping") {
    write(self, events::pong(rid));
  } else if (t == "create") {
    handle_create(self, f);
  } else if (t == "send") {
    auto conv_id = f.conv_id, cmid = f.client_msg_id;
    ask_conversation<send_reply>(
        self, f.conv_id, send_atom::value,
        send_request{st.user_id, st.session_id, f.client_msg_id, f.body}, rid,
        [self, rid, conv_id, cmid](send_reply& r) {
          if (!r.err.ok()) write_error(self, rid, r.err);
          else write(self, events::sent(rid, conv_id, cmid, r));
        });
  } else if (t == "ack" || t == "read") {
    ask_conversation<proto_error>(
        self, f.conv_id, cursor_atom::value,
        cursor_request{st.user_id, st.session_id, t == "read", f.msg_id}, rid,
        ok_or_error(self, rid, false));
  } else if (t == "sync") {
    sync_request req{st.user_id, f.has_after, f.after, f.before, f.limit};
    if (f.has_before && f.before == 0) req.before = 1;  // nothing is below 0
    auto conv_id = f.conv_id;
    ask_conversation<history_reply>(self, f.conv_id, sync_atom::value, req, rid,
                                    [self, rid, conv_id](history_reply& r) {
                                      if (!r.err.ok()) write_error(self, rid, r.err);
                                      else write(self, events::history(rid, conv_id, r));
                                    });
  } else if (t == "conversations") {
    run_blocking(self, *st.ctx->pool,
                 [store = st.ctx->store, user = st.user_id, rid] {
                   return read_inbox(*store, user, rid);
                 },
                 [self](std::string frame) { write(self, std::move(frame)); });
  } else if (t == "members") {
    ask_conversation<proto_error>(
        self, f.conv_id, members_atom::value,
        members_request{st.user_id, st.session_id, f.add, f.remove}, rid,
        ok_or_error(self, rid, true));
  } else if (t == "typing") {
    ask_conversation<proto_error>(self, f.conv_id, typing_atom::value,
                                  st.user_id, rid, ok_or_error(self, rid, false));
  } else if (t == "presence") {
    handle_presence(self, f);
  }
}

void attach(self_ptr self, int attempt) {
  auto& st = self->state;
  auto ua = st.ctx->dir->user(st.user_id);
  self->request(ua, st.ctx->lim.request_timeout, attach_atom::value, st.session_id,
                caf::actor_cast<session_actor>(self))
      .then(
          [self](bool) {
            auto& st = self->state;
            st.attached = true;
            write(self, events::welcome(st.user_id, st.session_id, st.ctx->node_id,
                                        st.ctx->lim.heartbeat_s));
            auto early = std::move(st.early);
            for (auto& text : early) handle_frame(self, text);
          },
          [self, attempt](caf::error&) {
            if (attempt + 1 < max_attempts) return attach(self, attempt + 1);
            self->state.conn->close(1011, "user registry unavailable");
            self->quit();
          });
}

}  // namespace

session_actor::behavior_type session(self_ptr self, std::string user_id,
                                     std::string session_id,
                                     std::shared_ptr<client_connection> conn,
                                     node_context* ctx) {
  auto& st = self->state;
  st.user_id = std::move(user_id);
  st.session_id = std::move(session_id);
  st.conn = std::move(conn);
  st.ctx = ctx;
  attach(self, 0);
  return {
      [self](frame_atom, std::string& text) {
        if (!self->state.attached) self->state.early.push_back(std::move(text));
        else handle_frame(self, text);
      },
      [self](closed_atom) {
        auto& st = self->state;
        if (auto ua = st.ctx->dir->find_user(st.user_id))
          self->send(*ua, detach_atom::value, st.session_id);
        st.ctx->dir->forget_session(st.session_id);
        self->quit();
      },
      [self](push_atom, std::string& text) { write(self, std::move(text)); },
      [](continue_atom, continuation& c) { c.fn(); },
  };
}

}  // namespace switchboard::actors
