#include "actors/session_actor.hpp"

#include <memory>

#include "actors/blocking.hpp"
#include "actors/directory.hpp"
#include "actors/events.hpp"
#include "actors/frame.hpp"
#include "actors/requests.hpp"
#include "metrics/metrics.hpp"

namespace switchboard::actors {

namespace {

using self_ptr = session_actor::stateful_pointer<session_state>;

constexpr int max_attempts = 3;

void write(self_ptr self, std::string text) {
  if (!text.empty()) self->state.conn->send_text(std::move(text));
}

// Every frame is answered (or needs no answer) exactly once; then the
// connection hears of it, for its cap of requests in flight.
void handle_frame(self_ptr self, const std::string& text) {
  auto& st = self->state;
  auto parsed = parse_frame(text, st.user_id, st.ctx->lim);
  if (!parsed.frame) {
    st.ctx->metrics->error(parsed.err.code);
    write(self, events::error(parsed.rid, parsed.err));
    st.conn->request_done();
    return;
  }
  handle_request(self,
                 request_context{st.ctx, st.user_id, st.session_id,
                                 [self](std::string answer) {
                                   write(self, std::move(answer));
                                   self->state.conn->request_done();
                                 },
                                 &st.subscriptions, st.conn},
                 *parsed.frame);
}

void attach(self_ptr self, int attempt) {
  auto& st = self->state;
  auto ua = st.ctx->dir->user(st.user_id);
  self->request(ua, request_timeout(self, ua, st.ctx->lim.request_timeout),
                attach_atom::value, st.session_id,
                caf::actor_cast<session_actor>(self))
      .then(
          [self](bool) {
            auto& st = self->state;
            st.attached = true;
            write(self,
                  events::welcome(st.user_id, st.session_id, st.ctx->node_id,
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
        if (!self->state.attached)
          self->state.early.push_back(std::move(text));
        else
          handle_frame(self, text);
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
