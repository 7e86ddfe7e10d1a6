#include "actors/directory.hpp"

#include <algorithm>

#include "actors/conversation_actor.hpp"
#include "actors/user_actor.hpp"

namespace switchboard::actors {

conversation_actor directory::conversation(const std::string& conv_id) {
  std::lock_guard<std::mutex> lock(mtx_);
  auto it = conversations_.find(conv_id);
  if (it != conversations_.end()) return it->second;
  auto a = sys_.spawn(actors::conversation, conv_id, &ctx_);
  // A frozen shard (moving away) starts no actor: this one exits at once,
  // and its asker retries, to find the shard's new route.
  if (shut_down_ || frozen_locked(conv_id))
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  else
    conversations_.emplace(conv_id, a);
  return a;
}

user_actor directory::user(const std::string& user_id) {
  std::lock_guard<std::mutex> lock(mtx_);
  auto it = users_.find(user_id);
  if (it != users_.end()) return it->second;
  auto a = sys_.spawn(actors::user, user_id, &ctx_);
  if (shut_down_ || frozen_locked(user_id))
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  else
    users_.emplace(user_id, a);
  return a;
}

std::optional<user_actor> directory::find_user(const std::string& user_id,
                                               std::size_t* local_sessions) {
  std::lock_guard<std::mutex> lock(mtx_);
  auto it = users_.find(user_id);
  if (it == users_.end()) return std::nullopt;
  if (local_sessions) {
    auto n = user_sessions_.find(user_id);
    *local_sessions = n == user_sessions_.end() ? 0 : n->second.size();
  }
  return it->second;
}

void directory::forget_conversation(const std::string& id,
                                    const caf::actor_addr& self) {
  std::lock_guard<std::mutex> lock(mtx_);
  auto it = conversations_.find(id);
  if (it != conversations_.end() && it->second.address() == self)
    conversations_.erase(it);
}

void directory::forget_user(const std::string& id,
                            const caf::actor_addr& self) {
  std::lock_guard<std::mutex> lock(mtx_);
  auto it = users_.find(id);
  if (it != users_.end() && it->second.address() == self) {
    users_.erase(it);
    online_.erase(id);
  }
}

void directory::add_session(const std::string& session_id,
                            const session_actor& s, const std::string& user_id,
                            const std::string& remote,
                            std::weak_ptr<client_connection> conn) {
  std::lock_guard<std::mutex> lock(mtx_);
  if (shut_down_)
    caf::anon_send_exit(s, caf::exit_reason::user_shutdown);
  else if (sessions_
               .emplace(session_id,
                        session_entry{s,
                                      {session_id, user_id, remote, now_ms()},
                                      std::move(conn),
                                      welcomed_early_.erase(session_id) > 0})
               .second)
    user_sessions_[user_id].push_back(session_id);
}

std::vector<directory::session_info> directory::sessions_of(
    const std::string& user_id) {
  std::lock_guard<std::mutex> lock(mtx_);
  std::vector<session_info> out;
  if (auto ids = user_sessions_.find(user_id); ids != user_sessions_.end())
    for (auto& id : ids->second)
      if (auto it = sessions_.find(id); it != sessions_.end())
        out.push_back(it->second.info);
  std::sort(out.begin(), out.end(),
            [](const session_info& a, const session_info& b) {
              return a.since_ms < b.since_ms;
            });
  return out;
}

std::vector<std::string> directory::online_users(const std::string& prefix) {
  std::lock_guard<std::mutex> lock(mtx_);
  std::vector<std::string> users;
  for (auto& [user, _] : user_sessions_)
    if (user.compare(0, prefix.size(), prefix) == 0) users.push_back(user);
  std::sort(users.begin(), users.end());
  return users;
}

std::weak_ptr<client_connection> directory::connection(
    const std::string& session_id) {
  std::lock_guard<std::mutex> lock(mtx_);
  auto it = sessions_.find(session_id);
  if (it == sessions_.end()) return {};
  return it->second.conn;
}

bool directory::conversation_active(const std::string& conv_id) {
  std::lock_guard<std::mutex> lock(mtx_);
  return conversations_.count(conv_id) != 0;
}

std::size_t directory::kick(const std::string& user_id,
                            const std::string& reason) {
  std::vector<std::shared_ptr<client_connection>> conns;
  {
    std::lock_guard<std::mutex> lock(mtx_);
    if (auto ids = user_sessions_.find(user_id); ids != user_sessions_.end())
      for (auto& id : ids->second)
        if (auto it = sessions_.find(id); it != sessions_.end())
          if (auto c = it->second.conn.lock()) conns.push_back(std::move(c));
  }
  for (auto& c : conns) c->close(1008, reason);
  return conns.size();
}

namespace {

// A connection of this node and its session actor, for a write to it.
struct local_target {
  std::string id;
  std::weak_ptr<client_connection> conn;
  session_actor actor;
};

void write_to(const local_target& t, const std::string& text) {
  if (auto c = t.conn.lock())
    c->send_text(text);
  else
    caf::anon_send(t.actor, push_atom::value, text);
}

}  // namespace

std::size_t directory::deliver_local(const std::string& user_id,
                                     const std::vector<std::string>& texts,
                                     const std::vector<std::string>& excepts) {
  std::vector<local_target> to;
  {
    std::lock_guard<std::mutex> lock(mtx_);
    auto ids = user_sessions_.find(user_id);
    if (ids == user_sessions_.end()) return 0;
    for (auto& id : ids->second)
      if (auto it = sessions_.find(id);
          it != sessions_.end() && it->second.welcomed)
        to.push_back({id, it->second.conn, it->second.actor});
  }
  std::size_t n = 0;
  for (auto& t : to)
    for (std::size_t i = 0; i < texts.size() && i < excepts.size(); ++i)
      if (excepts[i] != t.id) {
        write_to(t, texts[i]);
        ++n;
      }
  return n;
}

std::size_t directory::deliver_local(const std::string& user_id,
                                     const std::string& text,
                                     const std::string& except) {
  return deliver_local(user_id, std::vector<std::string>{text},
                       std::vector<std::string>{except});
}

void directory::session_welcomed(const std::string& session_id) {
  std::lock_guard<std::mutex> lock(mtx_);
  if (auto it = sessions_.find(session_id); it != sessions_.end())
    it->second.welcomed = true;
  else if (!shut_down_)
    welcomed_early_.insert(session_id);
}

void directory::forget_session(const std::string& session_id) {
  std::lock_guard<std::mutex> lock(mtx_);
  welcomed_early_.erase(session_id);
  auto it = sessions_.find(session_id);
  if (it == sessions_.end()) return;
  if (auto n = user_sessions_.find(it->second.info.user_id);
      n != user_sessions_.end()) {
    auto& ids = n->second;
    ids.erase(std::remove(ids.begin(), ids.end(), session_id), ids.end());
    if (ids.empty()) user_sessions_.erase(n);
  }
  sessions_.erase(it);
}

std::size_t directory::online_count() {
  std::lock_guard<std::mutex> l(mtx_);
  return user_sessions_.size();
}

std::size_t directory::sessions() {
  std::lock_guard<std::mutex> lock(mtx_);
  return sessions_.size();
}

void directory::shutdown() {
  std::lock_guard<std::mutex> lock(mtx_);
  shut_down_ = true;
  for (auto& [_, e] : sessions_)
    caf::anon_send_exit(e.actor, caf::exit_reason::user_shutdown);
  for (auto& [_, a] : conversations_)
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  for (auto& [_, a] : users_)
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  sessions_.clear();
  user_sessions_.clear();
  welcomed_early_.clear();
  conversations_.clear();
  users_.clear();
  online_.clear();
  channels_.clear();
}

std::size_t directory::active_conversations() {
  std::lock_guard<std::mutex> lock(mtx_);
  return conversations_.size();
}

std::size_t directory::active_users() {
  std::lock_guard<std::mutex> lock(mtx_);
  return users_.size();
}

}  // namespace switchboard::actors
