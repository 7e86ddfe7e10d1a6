#include "actors/user_actor.hpp"

#include <algorithm>

#include "actors/blocking.hpp"
#include "actors/directory.hpp"
#include "actors/events.hpp"
#include "metrics/log_sink.hpp"
#include "metrics/metrics.hpp"
#include "storage/store.hpp"

namespace switchboard::actors {

namespace {

using self_ptr = user_actor::stateful_pointer<user_state>;

presence_status status_of(const user_state& st) {
  bool online = !st.sessions.empty();
  return presence_status{st.user_id, online, online ? now_ms() : st.last_seen};
}

void notify_watchers(self_ptr self) {
  auto text = events::presence(std::nullopt, {status_of(self->state)});
  for (auto& w : self->state.watchers)
    self->send(w, presence_atom::value, self->state.user_id, text);
}

// The channels that watch this user learn that it is online or offline.
void tell_channels(self_ptr self, bool online) {
  auto& st = self->state;
  auto gen = ++st.online_gen;
  for (auto& ch :
       st.ctx->dir->user_online(st.user_id, online, gen, self->address()))
    self->send(ch, channel_atom::value, st.user_id, gen, online);
}

void went_offline(self_ptr self) {
  auto& st = self->state;
  st.last_seen = now_ms();
  storage::batch b;
  b.put_last_seen(st.user_id, st.last_seen);
  // Last seen is best effort: a failed write leaves the older value, and it
  // waits for no fsync of its own (a connection storm wrote one per close).
  b.relax_durability();
  st.ctx->store->commit(std::move(b), [ctx = st.ctx, user = st.user_id](
                                          const storage::status& s) {
    if (!s)
      metrics::emit(ctx->log, "warn", "last_seen_not_stored",
                    {{"user_id", user}, {"error", s.err().message}});
  });
  notify_watchers(self);
  tell_channels(self, false);
}

// Arms the passivation timer once the actor holds nothing: no session and
// no watcher.
void arm_idle_timer(self_ptr self) {
  auto& st = self->state;
  if (st.idle_timer_armed || !st.sessions.empty() || !st.watchers.empty())
    return;
  st.idle_timer_armed = true;
  self->delayed_send(self, st.ctx->lim.idle_actor, timeout_atom::value,
                     std::uint64_t{0});
}

// The user's session with `session_id`, or sessions.end().
std::vector<user_state::session>::iterator find_session(
    user_state& st, const std::string& session_id) {
  return std::find_if(st.sessions.begin(), st.sessions.end(),
                      [&](const auto& s) { return s.id == session_id; });
}

void remove_session(self_ptr self, const std::string& session_id) {
  auto& st = self->state;
  auto it = find_session(st, session_id);
  if (it == st.sessions.end()) return;
  st.sessions.erase(it);
  st.last_activity_ms = now_ms();
  if (st.sessions.empty()) went_offline(self);
  arm_idle_timer(self);
}

}  // namespace

user_actor::behavior_type user(self_ptr self, std::string user_id,
                               node_context* ctx) {
  auto& st = self->state;
  st.user_id = user_id;
  st.ctx = ctx;
  st.last_activity_ms = now_ms();
  run_blocking(
      self, *ctx->pool,
      [store = ctx->store, user_id] { return store->last_seen(user_id); },
      [self](storage::result<std::optional<std::int64_t>> r) {
        auto& st = self->state;
        if (r && *r) st.last_seen = **r;
        st.loaded = true;
        auto waiting = std::move(st.waiting);
        for (auto& w : waiting) w();
      });
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    std::vector<std::string> gone;
    for (auto& s : st.sessions)
      if (s.actor.address() == dm.source) gone.push_back(s.id);
    for (auto& id : gone) remove_session(self, id);
    auto& w = st.watchers;
    w.erase(std::remove_if(w.begin(), w.end(),
                           [&](const session_actor& s) {
                             return s.address() == dm.source;
                           }),
            w.end());
    arm_idle_timer(self);
  });
  return {
      [self](attach_atom, const std::string& session_id,
             const session_actor& session) -> caf::strong_actor_ptr {
        auto& st = self->state;
        bool was_online = !st.sessions.empty();
        auto it = find_session(st, session_id);
        if (it == st.sessions.end())
          it = st.sessions.insert(st.sessions.end(), {session_id, {}, {}});
        it->actor = session;
        it->local = st.ctx->dir->connection(session_id);
        self->monitor(session);
        st.last_activity_ms = now_ms();
        if (!was_online) {
          notify_watchers(self);
          tell_channels(self, true);
        }
        return caf::actor_cast<caf::strong_actor_ptr>(self);
      },
      [self](detach_atom, const std::string& session_id) {
        remove_session(self, session_id);
      },
      [self](deliver_atom, const std::string& text, const std::string& except,
             bool chat_message) {
        auto& st = self->state;
        std::uint64_t n = 0;
        for (auto& s : st.sessions) {
          if (s.id == except) continue;
          ++n;
          if (auto conn = s.local.lock()) {
            conn->send_text(text);
            continue;
          }
          self->send(s.actor, push_atom::value, text);
        }
        if (chat_message) self->state.ctx->metrics->messages_delivered.inc(n);
      },
      [self](deliver_atom, const std::vector<std::string>& texts,
             const std::vector<std::string>& excepts) {
        auto& st = self->state;
        if (texts.size() != excepts.size()) {
          metrics::emit(st.ctx->log, "error", "malformed_delivery",
                        {{"user_id", st.user_id},
                         {"texts", std::to_string(texts.size())},
                         {"excepts", std::to_string(excepts.size())}});
          return;
        }
        std::uint64_t n = 0;
        for (auto& s : st.sessions) {
          auto conn = s.local.lock();
          std::vector<std::string> theirs;
          for (std::size_t i = 0; i < texts.size(); ++i) {
            if (excepts[i] == s.id) continue;
            ++n;
            if (conn)
              conn->send_text(texts[i]);
            else
              theirs.push_back(texts[i]);
          }
          if (theirs.size() == 1)
            self->send(s.actor, push_atom::value, std::move(theirs[0]));
          else if (!theirs.empty())
            self->send(s.actor, push_atom::value, std::move(theirs));
        }
        st.ctx->metrics->messages_delivered.inc(n);
      },
      [self](presence_atom) -> caf::result<presence_status> {
        auto& st = self->state;
        st.last_activity_ms = now_ms();
        arm_idle_timer(self);
        if (st.loaded) return status_of(st);
        auto rp = self->make_response_promise<presence_status>();
        st.waiting.push_back(
            [self, rp]() mutable { rp.deliver(status_of(self->state)); });
        return rp;
      },
      [self](subscribe_atom,
             const session_actor& watcher) -> caf::result<presence_status> {
        auto& st = self->state;
        st.last_activity_ms = now_ms();
        if (std::none_of(
                st.watchers.begin(), st.watchers.end(),
                [&](const session_actor& s) { return s == watcher; })) {
          st.watchers.push_back(watcher);
          self->monitor(watcher);
        }
        if (st.loaded) return status_of(st);
        auto rp = self->make_response_promise<presence_status>();
        st.waiting.push_back(
            [self, rp]() mutable { rp.deliver(status_of(self->state)); });
        return rp;
      },
      [self](unwatch_atom, const session_actor& watcher) {
        auto& st = self->state;
        auto& w = st.watchers;
        w.erase(std::remove(w.begin(), w.end(), watcher), w.end());
        // One monitor serves both: a session of this user stays monitored.
        if (std::none_of(st.sessions.begin(), st.sessions.end(),
                         [&](const auto& s) { return s.actor == watcher; }))
          self->demonitor(watcher.address());
        arm_idle_timer(self);
      },
      [self](revalidate_atom, const std::vector<std::string>& users) {
        auto m = caf::make_message(revalidate_atom::value, users);
        for (auto& s : self->state.sessions)
          caf::anon_send(caf::actor_cast<caf::actor>(s.actor), m);
      },
      [](continue_atom, continuation& c) { c.fn(); },
      [self](timeout_atom, std::uint64_t) {
        auto& st = self->state;
        st.idle_timer_armed = false;
        bool idle = idle_long_enough(*st.ctx, st.last_activity_ms);
        if (st.sessions.empty() && st.watchers.empty() && st.loaded && idle) {
          st.ctx->dir->forget_user(st.user_id, self->address());
          self->quit();
          return;
        }
        arm_idle_timer(self);
      },
  };
}

}  // namespace switchboard::actors
