#include "actors/session_presence.hpp"

#include <algorithm>
#include <random>

#include "actors/directory.hpp"
#include "actors/events.hpp"
#include "actors/presence_check.hpp"
#include "actors/requests.hpp"
#include "actors/timed_request.hpp"

namespace switchboard::actors {

namespace {

// Said once: a status the client has from the last event or answer is
// not said again.
void write_status(session_self self, const presence_status& s) {
  if (self->state.presence.told(s.user_id, s.online, s.last_seen))
    self->state.conn->send_text(events::presence(std::nullopt, {s}));
}

void try_later(session_self self, const std::string& user,
               std::uint32_t attempt) {
  // Spread over 0.75 to 1.25 of the step, so that the watchers of a dead
  // node's users do not all ask at once.
  thread_local std::mt19937 gen{std::random_device{}()};
  auto step = std::int64_t{500} << std::min<std::uint32_t>(attempt, 4);
  auto ms = std::uniform_int_distribution<std::int64_t>(step * 3 / 4,
                                                        step * 5 / 4)(gen);
  self->delayed_send(self, std::chrono::milliseconds(ms), subscribe_atom::value,
                     user, attempt + 1);
}

// Ends the subscription at `user`'s actor, if one has it; says so to the
// client (offline, last_seen null) when it had, or when `tell`.
void stop_watching(session_self self, const std::string& user, bool tell) {
  if (drop_presence_of(self, self->state.presence, user) || tell)
    write_status(self, presence_status{user, false, 0});
}

// Subscribes at `user`'s actor on check `n`'s verdict.
void subscribe_now(session_self self, const std::string& user, std::uint64_t n,
                   std::uint32_t attempt) {
  auto& st = self->state;
  auto d = st.ctx->dir->to_user(
      user, caf::make_message(subscribe_atom::value,
                              caf::actor_cast<session_actor>(self)));
  if (!d.err.ok()) return try_later(self, user, attempt);
  st.presence.asking(user);
  timed_request(self, &st.timer, d.actor, timeout_of(d, st.ctx->lim),
                std::move(d.msg))
      .then(
          [self, user, n](presence_status& s) {
            self->state.presence.answered(user);
            if (keep_presence_of(self, self->state.presence, user, n))
              write_status(self, s);
          },
          [self, user, attempt](caf::error&) {
            self->state.presence.answered(user);
            try_later(self, user, attempt);
          });
}

// Checks `users` against the policy and acts on the verdict of each that
// no later check has overtaken. A check that fails hides them (fail
// closed) and is tried again later. The client is told of each that was
// shown and is hidden now; `after_down` (the users' actors went away, so
// no change can come meanwhile): not while the check keeps failing, which
// it does while a dead node's shards have no owner, and which is logged
// once, not at every try.
void check_then(session_self self, std::vector<std::string> users,
                std::uint32_t attempt, bool after_down) {
  auto& st = self->state;
  users.erase(std::remove(users.begin(), users.end(), st.user_id), users.end());
  if (users.empty()) return;
  auto n = st.presence.begin_check(users);
  check_presence(
      self, st.ctx, st.user_id, users,
      [self, users, n, attempt, after_down](bool ok, std::vector<bool> shown) {
        auto& w = self->state.presence;
        for (std::size_t i = 0; i < users.size(); ++i) {
          auto& u = users[i];
          if (!w.subscriptions.count(u)) continue;
          bool visible = ok && shown[i];
          bool was = w.visible(u);
          if (!w.decide(u, n, visible)) continue;
          if (visible) {
            if (!w.watching(u) && !w.asked(u))
              subscribe_now(self, u, n, attempt);
            continue;
          }
          if (!ok) try_later(self, u, attempt);
          if (!ok && after_down) continue;
          stop_watching(self, u, was || after_down);
        }
      },
      attempt == 0);
}

}  // namespace

void resubscribe(session_self self, const std::string& user,
                 std::uint32_t attempt) {
  auto& w = self->state.presence;
  if (!w.subscriptions.count(user) || w.watching(user)) return;
  // A user always sees itself: no check.
  if (user == self->state.user_id) return subscribe_now(self, user, 0, attempt);
  check_then(self, {user}, attempt, true);
}

bool presence_change_kept(session_self self, const std::string& user) {
  auto& w = self->state.presence;
  const auto& src = self->current_sender();
  if (!src) return false;
  auto at = caf::actor_cast<caf::actor_addr>(src);
  if (w.watching_at(at, user)) {
    w.forget_told(user);
    return true;
  }
  if (!w.watching(user) && w.subscriptions.count(user) &&
      (user == self->state.user_id || w.visible(user))) {
    // A subscription whose answer never came (it timed out): kept now.
    if (w.watch(at, user)) self->monitor(src);
    w.forget_told(user);
    return true;
  }
  // One that ended, or that no check allows: ended at that actor too.
  caf::anon_send(caf::actor_cast<caf::actor>(src), unwatch_atom::value,
                 caf::actor_cast<session_actor>(self));
  return false;
}

void revalidate(session_self self, const std::vector<std::string>& users) {
  auto& st = self->state;
  auto& w = st.presence;
  std::vector<std::string> ids;
  if (std::find(users.begin(), users.end(), st.user_id) != users.end())
    ids.assign(w.subscriptions.begin(), w.subscriptions.end());
  else
    for (auto& u : users)
      if (w.subscriptions.count(u)) ids.push_back(u);
  check_then(self, std::move(ids), 0, false);
}

}  // namespace switchboard::actors
