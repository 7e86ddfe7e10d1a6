#include "actors/session_actor.hpp"

#include <algorithm>
#include <memory>

#include "actors/blocking.hpp"
#include "actors/directory.hpp"
#include "actors/events.hpp"
#include "actors/frame.hpp"
#include "actors/requests.hpp"
#include "actors/session_presence.hpp"
#include "actors/timed_request.hpp"
#include "metrics/metrics.hpp"

namespace switchboard::actors {

namespace {

using self_ptr = session_actor::stateful_pointer<session_state>;

constexpr int max_attempts = 3;

void write(self_ptr self, std::string text) {
  if (!text.empty()) self->state.conn->send_text(std::move(text));
}

request_context context(self_ptr self,
                        std::function<void(std::string)> answer) {
  auto& st = self->state;
  return request_context{
      st.ctx,       st.user_id, st.session_id, std::move(answer),
      &st.presence, st.conn,    &st.timer};
}

void run(self_ptr self, client_frame& f,
         std::function<void(std::string)> answer) {
  handle_request(self, context(self, std::move(answer)), f);
}

// Every frame is answered (or needs no answer) exactly once; then the
// connection hears of it, for its cap of requests in flight.
void run_one(self_ptr self, client_frame& f) {
  run(self, f, [self](std::string answer) {
    write(self, std::move(answer));
    self->state.conn->request_done();
  });
}

void run_cursor(self_ptr self, client_frame f,
                std::vector<client_frame> folded);

// The next of `lane`'s cursors, once the one in flight is answered: the
// highest of those that waited, for all of them.
void next_cursor(self_ptr self, const client_frame& lane) {
  auto waiting = self->state.lanes.done(lane);
  if (waiting.empty()) return;
  auto msg_id = [](const client_frame& f) {
    return std::get<request::cursor>(f.req).msg_id;
  };
  auto top =
      std::max_element(waiting.begin(), waiting.end(),
                       [&](const client_frame& a, const client_frame& b) {
                         return msg_id(a) < msg_id(b);
                       });
  auto f = std::move(*top);
  waiting.erase(top);
  run_cursor(self, std::move(f), std::move(waiting));
}

// An ack or read on behalf of itself and the `folded` ones of its lane.
// When it fails, each folded one goes on its own, for an answer of its
// own.
void run_cursor(self_ptr self, client_frame f,
                std::vector<client_frame> folded) {
  auto lane = f;
  run(self, f,
      [self, lane = std::move(lane),
       folded = std::move(folded)](std::string answer) mutable {
        bool failed = !answer.empty();
        write(self, std::move(answer));
        self->state.conn->request_done();
        for (auto& g : folded)
          if (failed)
            run_one(self, g);
          else
            self->state.conn->request_done();
        next_cursor(self, lane);
      });
}

// Sends of one lane, in order, as one request; once all are answered, the
// ones that waited meanwhile go.
void run_sends(self_ptr self, std::vector<client_frame> frames) {
  client_frame lane;
  lane.req = request::send{frames.front().conv_id(), {}, {}};
  auto left = std::make_shared<std::size_t>(frames.size());
  auto each = [self, lane, left](std::string answer) {
    write(self, std::move(answer));
    self->state.conn->request_done();
    if (--*left > 0) return;
    auto next = self->state.lanes.done(lane);
    if (!next.empty()) run_sends(self, std::move(next));
  };
  if (frames.size() == 1)
    run(self, frames.front(), std::move(each));
  else
    handle_sends(self, context(self, std::move(each)), frames);
}

void handle_frame(self_ptr self, const std::string& text) {
  auto& st = self->state;
  auto parsed = parse_frame(text, st.user_id, st.ctx->lim);
  if (!parsed.frame) {
    st.ctx->metrics->error(parsed.err.code);
    write(self, events::error(parsed.rid, parsed.err));
    st.conn->request_done();
    return;
  }
  auto& f = *parsed.frame;
  f.arrived = std::chrono::steady_clock::now();
  if (std::holds_alternative<request::cursor>(f.req)) {
    if (st.lanes.arrive(f)) run_cursor(self, std::move(f), {});
    return;
  }
  if (std::holds_alternative<request::send>(f.req)) {
    if (st.lanes.arrive(f)) {
      std::vector<client_frame> one;
      one.push_back(std::move(f));
      run_sends(self, std::move(one));
    }
    return;
  }
  run_one(self, f);
}

// Registers the connection with its user's actor, wherever that runs.
// The first time, the connection gets `welcome` once it has; later (the
// user's actor went away: its shard moved, or its node died), it waits
// while the user's shard has no owner, up to about reattach_attempts *
// reattach_delay, then closes (the client reconnects and resyncs).
constexpr int reattach_attempts = 60;
constexpr auto reattach_delay = std::chrono::milliseconds(500);

void attach(self_ptr self, int attempt);

void attach_later(self_ptr self, int attempt, const char* why) {
  auto& st = self->state;
  if (!st.attached || attempt + 1 >= reattach_attempts) {
    st.conn->close(st.attached ? 1011 : 1013, why);
    self->quit();
    return;
  }
  st.reattach_attempt = attempt + 1;
  self->delayed_send(self, reattach_delay, attach_atom::value);
}

void attach(self_ptr self, int attempt) {
  auto& st = self->state;
  auto d = st.ctx->dir->to_user(
      st.user_id, caf::make_message(attach_atom::value, st.session_id,
                                    caf::actor_cast<session_actor>(self)));
  if (!d.err.ok())
    return attach_later(self, attempt,
                        "user registry unavailable; retry later");
  auto asked = std::chrono::steady_clock::now();
  auto count = [ctx = st.ctx, asked, remote = d.remote](bool ok) {
    if (!remote) return;
    std::chrono::duration<double> took =
        std::chrono::steady_clock::now() - asked;
    ctx->metrics->remote_request(metrics::remote_kind::attach, ok,
                                 took.count());
  };
  timed_request(self, &st.timer, d.actor, timeout_of(d, st.ctx->lim),
                std::move(d.msg))
      .then(
          [self, count](caf::strong_actor_ptr& user) {
            count(true);
            auto& st = self->state;
            st.user_actor = caf::actor_cast<caf::actor_addr>(user);
            self->monitor(user);
            st.reattach_attempt = 0;
            if (st.attached) {
              // A revalidation sent while the user's shard had no owner
              // (conversation_ops' tell_sharing_changed) reached nobody:
              // every subscription is checked again with the new actor.
              if (!st.presence.subscriptions.empty())
                revalidate(self, {st.user_id});
              return;
            }
            st.attached = true;
            write(self,
                  events::welcome(st.user_id, st.session_id, st.ctx->node_id,
                                  st.ctx->lim.heartbeat_s));
            // Only now may an event of another node's reach it
            // (directory::deliver_local): `welcome` comes first.
            st.ctx->dir->session_welcomed(st.session_id);
            auto early = std::move(st.early);
            for (auto& text : early) handle_frame(self, text);
          },
          [self, attempt, count](caf::error&) {
            count(false);
            if (!self->state.attached && attempt + 1 < max_attempts)
              return attach(self, attempt + 1);
            attach_later(self, attempt, "user registry unavailable");
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
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    if (auto user = st.presence.gone(dm.source)) resubscribe(self, *user, 0);
    if (dm.source != st.user_actor) return;
    // The user's actor is gone: register with its successor.
    st.user_actor = {};
    attach(self, 0);
  });
  return {
      [self](frame_atom, std::string& text) {
        if (!self->state.attached)
          self->state.early.push_back(std::move(text));
        else
          handle_frame(self, text);
      },
      [self](closed_atom) {
        auto& st = self->state;
        auto route = st.ctx->dir->route_of(st.user_id);
        if (route.what == directory::shard_route::kind::remote)
          caf::anon_send(route.registry, detach_atom::value, st.user_id,
                         st.session_id);
        else if (auto ua = st.ctx->dir->find_user(st.user_id))
          self->send(*ua, detach_atom::value, st.session_id);
        st.ctx->dir->forget_session(st.session_id);
        self->quit();
      },
      [self](push_atom, std::string& text) { write(self, std::move(text)); },
      [self](push_atom, std::vector<std::string>& texts) {
        for (auto& t : texts) write(self, std::move(t));
      },
      [self](attach_atom) { attach(self, self->state.reattach_attempt); },
      [self](subscribe_atom, const std::string& user, std::uint32_t attempt) {
        resubscribe(self, user, attempt);
      },
      [self](revalidate_atom, const std::vector<std::string>& users) {
        revalidate(self, users);
      },
      [self](presence_atom, const std::string& user, std::string& text) {
        if (presence_change_kept(self, user)) write(self, std::move(text));
      },
      [](continue_atom, continuation& c) { c.fn(); },
  };
}

}  // namespace switchboard::actors
