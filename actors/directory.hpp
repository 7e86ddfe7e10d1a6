#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "actors/client_connection.hpp"
#include "actors/live_view.hpp"
#include "actors/messages.hpp"
#include "actors/node_context.hpp"

namespace switchboard::actors {

// Where the actors of conversations and users are: callers address them by
// id, never by a handle they kept, so that an actor can passivate and come
// back (and, with the cluster, live on another node). Activates an actor on
// first use. Thread-safe.
class directory final : public live_view {
 public:
  directory(caf::actor_system& sys, node_context& ctx) : sys_(sys), ctx_(ctx) {}

  // The conversation's actor, activated if needed.
  conversation_actor conversation(const std::string& conv_id);
  // The user's actor, activated if needed.
  user_actor user(const std::string& user_id);
  // The user's actor if it is active (the user is online or watched), and
  // in `*local_sessions`, when given, how many connections of the user this
  // node has.
  std::optional<user_actor> find_user(const std::string& user_id,
                                      std::size_t* local_sessions = nullptr);

  // Called by an actor that passivates: forgets it, if `self` is still the
  // one registered under `id`.
  void forget_conversation(const std::string& id, const caf::actor_addr& self);
  void forget_user(const std::string& id, const caf::actor_addr& self);

  using session_info = actors::session_info;

  // The sessions (connections) of this node.
  void add_session(const std::string& session_id, const session_actor& s,
                   const std::string& user_id, const std::string& remote,
                   std::weak_ptr<client_connection> conn);
  void forget_session(const std::string& session_id);
  // The session's `welcome` is written: events may follow it
  // (deliver_local skips a session before it).
  void session_welcomed(const std::string& session_id);
  // The operator's view (live_view.hpp).
  std::vector<session_info> sessions_of(const std::string& user_id) override;
  std::vector<std::string> online_users(const std::string& prefix) override;
  bool conversation_active(const std::string& conv_id) override;
  // The connection of a session of this node (expired when there is none).
  std::weak_ptr<client_connection> connection(const std::string& session_id);
  std::size_t kick(const std::string& user_id,
                   const std::string& reason) override;
  std::size_t active_conversations() override;
  std::size_t online_count() override;

  std::size_t active_users();
  std::size_t sessions();

  // Asks every actor it knows to exit (node shutdown).
  void shutdown();

  // --- channels (conversation_channel.cpp, docs/ARCHITECTURE.md "actors/") ---

  // A channel's actor, `channel` of conversation `conv`, asks to be told
  // when any of `users` (of this node's shards) comes online or goes
  // offline (their actors call user_online); answers those online now, with
  // their actors and online generations. Replaces the conversation's older
  // watch of the same user (a new actor after a passivation). Users of a
  // shard frozen for a move are not watched here but put in `*refused`:
  // the channel watches them at the shard's next owner.
  struct online_user {
    std::string user;
    std::uint64_t gen = 0;
    caf::actor actor;
  };
  std::vector<online_user> watch_channel(const std::string& conv,
                                         const conversation_actor& channel,
                                         const std::vector<std::string>& users,
                                         std::vector<std::string>& refused);
  // Ends the watches of `conv` on `users`, if `channel` (when not null) is
  // still the actor that made them.
  void unwatch_channel(const std::string& conv,
                       const std::vector<std::string>& users,
                       const caf::actor_addr& channel = {});
  // Ends every watch the channel actor `channel` made (it is gone).
  void unwatch_channel_actor(const caf::actor_addr& channel);
  // The user's actor `actor` (of this node) went online or offline, its
  // `gen`th change: answers the channels to tell. Nothing is recorded for
  // an actor the directory no longer holds for the user (one that exits).
  std::vector<conversation_actor> user_online(const std::string& user,
                                              bool online, std::uint64_t gen,
                                              const caf::actor_addr& actor);
  // A channel of this node is told (channel_atom) whenever the routes
  // change, to watch its members where they went.
  void add_channel(const std::string& conv, const conversation_actor& a);
  void remove_channel(const std::string& conv, const caf::actor_addr& a);

  // --- the cluster (docs/ARCHITECTURE.md "cluster/") ---

  // Where the actors of one shard run now, as this node sees it.
  struct shard_route {
    enum class kind : std::uint8_t { local, remote, unavailable };
    kind what = kind::local;
    std::string owner{};              // the owner's node id
    caf::actor registry{};            // remote: the owner's registry actor
    std::int64_t retry_after_ms = 0;  // unavailable
    std::string reason{};             // unavailable: why, for the error
    std::int64_t epoch = 0;           // the shard's, as the map says
    std::string moving_to{};          // a move's target, while it moves
    // local: the shard's in-sync replicas but this node, and their
    // registries in the same order (null: not connected), and how many
    // in-sync replicas (this node included) a write needs.
    std::vector<std::string> followers{};
    std::vector<caf::actor> follower_registries{};
    std::size_t min_insync = 1;
    // local: until when the shard is unsettled here (it became this
    // node's or was thawed lately, or was frozen less than leaderless_time
    // ago): its users' connections may not have registered with their
    // actors here yet. unavailable: until when they may still wait for a
    // leader (stray_delivery.hpp).
    std::chrono::steady_clock::time_point unsettled_until{};
  };

  // The route of every shard (routes.size() is the cluster's shard count),
  // set by the cluster whenever the shard map, a node's liveness or a
  // connection to a peer changes, with the registries of the peers it is
  // connected to. Never set: a standalone node, where every actor is here.
  // A shard that becomes local is unsettled for `settle_time`; one that
  // loses its reachable leader, for `leaderless_time`: as long as a
  // connection waits for its user's actor (session_actor.cpp, attach).
  // A frozen shard is unsettled for as long, and a thawed one for
  // `settle_time` after.
  void set_routes(std::vector<shard_route> routes,
                  std::vector<caf::actor> peers = {});
  static constexpr auto settle_time = std::chrono::seconds(10);
  static constexpr auto leaderless_time = std::chrono::seconds(30);
  // The registries of the other nodes this node is connected to.
  std::shared_ptr<const std::vector<caf::actor>> peers() const;
  // This node's connections of `user_id` but the one `except` get `text`
  // (the texts but each one's except): the delivery of a user whose shard
  // changes hands (stray_delivery.hpp). Answers how many got one.
  std::size_t deliver_local(const std::string& user_id, const std::string& text,
                            const std::string& except);
  std::size_t deliver_local(const std::string& user_id,
                            const std::vector<std::string>& texts,
                            const std::vector<std::string>& excepts);
  // Whether routes were set: the node is in a cluster, and a read that
  // spans shards must gather from their owners (gather.hpp).
  bool clustered() const;
  // The route of the shard of `id` (a conversation or user id).
  shard_route route_of(const std::string& id) const;
  // Every shard's route, as now (null: a standalone node), to look up
  // many without copying each (route_in).
  std::shared_ptr<const std::vector<shard_route>> routes() const;
  // The route of the shard of `id` in `routes` (routes(); null or empty:
  // a standalone node's, where every actor is here).
  static const shard_route& route_in(const std::vector<shard_route>* routes,
                                     const std::string& id);
  // The cluster's shard count; 0 for a standalone node.
  std::uint32_t shard_count() const;
  // The route of shard `n`; a standalone node's when no routes are set or
  // n is out of range.
  shard_route route_of_shard(std::uint32_t n) const;
  // Whether the actors of `id`'s shard run on this node.
  bool is_local(const std::string& id) const;

  // A message `m` for the conversation's or the user's actor, wherever it
  // runs: the local actor (activated if needed) and `m`, or the owner's
  // registry and `m` wrapped for it (route_atom), or, when the shard has
  // no reachable owner now, `err` (unavailable, with retry_after_ms).
  struct destination {
    caf::actor actor{};
    caf::message msg{};
    bool remote = false;
    // In a cluster a local actor may be stopped with requests pending (its
    // shard moves away), which then get no answer: bound the wait.
    bool clustered = false;
    proto_error err{};
  };
  destination to_conversation(const std::string& conv_id, caf::message m);
  destination to_user(const std::string& user_id, caf::message m);

  // A shard that moves away is frozen first: no actor of it starts here
  // (one asked for exits at once), no write outside its actors is admitted
  // (enter_writes), and freeze_shard returns once those admitted before
  // have left, or after `timeout` (false then). thaw_shard ends it.
  bool freeze_shard(std::uint32_t shard, std::uint32_t shards,
                    std::chrono::milliseconds timeout);
  void thaw_shard(std::uint32_t shard);
  // Admits a store write for the shards of `ids` that is not made by their
  // own actors (a conversation's inbox entries of its members, say): true
  // when they are all this node's and none is frozen; then leave_writes
  // must follow once the write is durable or failed.
  bool enter_writes(const std::vector<std::string>& ids);
  void leave_writes(const std::vector<std::string>& ids);

  // Stops every actor of `shard` (of `shards`) and waits until they are
  // gone, or `timeout` passed (false then): a shard's move copies its
  // keys once nothing of it runs here. The shard's route must already
  // keep new requests away.
  bool quiesce_shard(std::uint32_t shard, std::uint32_t shards,
                     std::chrono::milliseconds timeout);

 private:
  caf::actor_system& sys_;
  node_context& ctx_;
  std::mutex mtx_;
  std::unordered_map<std::string, conversation_actor> conversations_;
  std::unordered_map<std::string, user_actor> users_;
  struct session_entry {
    session_actor actor;
    session_info info;
    std::weak_ptr<client_connection> conn;
    bool welcomed = false;  // session_welcomed
  };
  std::unordered_map<std::string, session_entry> sessions_;
  // Each user's sessions here, by id.
  std::unordered_map<std::string, std::vector<std::string>> user_sessions_;
  // Sessions welcomed before add_session (a session actor runs at once,
  // and may be answered by its user's actor before its opener adds it).
  std::unordered_set<std::string> welcomed_early_;
  bool shut_down_ = false;  // actors activated after shutdown() exit at once
  // Frozen shards and the writes admitted per shard (enter_writes), under
  // mtx_; frozen_shards_ is their count (S), 0 while nothing is frozen.
  bool frozen_locked(const std::string& id) const;
  std::unordered_map<std::uint32_t, std::size_t> frozen_;  // shard -> 1
  std::uint32_t frozen_shards_ = 0;
  std::unordered_map<std::uint32_t, std::size_t> writes_in_;
  std::condition_variable writes_left_;
  // Channels (watch_channel): which channels watch each user of this
  // node's shards, the online generation of each user actor online here,
  // and the channels whose actors run here.
  struct channel_watch {
    std::string conv;
    conversation_actor actor;
  };
  std::unordered_map<std::string, std::vector<channel_watch>> watches_;
  std::unordered_map<std::string, std::uint64_t> online_;
  std::unordered_map<std::string, conversation_actor> channels_;
  // Replaced whole, read without the map's mutex (std::atomic_load), by
  // one publisher at a time (routes_mtx_: set_routes, and a freeze or thaw
  // that marks its shard unsettled).
  std::shared_ptr<const std::vector<shard_route>> routes_;
  std::shared_ptr<const std::vector<caf::actor>> peers_;
  std::mutex routes_mtx_;
  // Per shard, until when it is unsettled (under routes_mtx_): since it
  // lost its reachable leader, and since it was gained, frozen or thawed;
  // the later of the two is its routes' unsettled_until.
  struct unsettled_times {
    std::chrono::steady_clock::time_point leaderless{}, settling{};
    std::chrono::steady_clock::time_point until() const {
      return std::max(leaderless, settling);
    }
  };
  std::vector<unsettled_times> unsettled_;
  // Shard `shard` settles by `until` (a freeze, a thaw, its actors
  // stopped), published in its route.
  void settle_by(std::uint32_t shard,
                 std::chrono::steady_clock::time_point until);
};

// The timeout of a request to `d`: the cluster's for one elsewhere, since a
// request to a dead node with no timeout never completes; the node's
// request timeout for a local one (an actor stuck behind a store that does
// not answer must not hold its caller forever). The asking actor's own
// request_timer keeps the deadlines, not CAF's clock thread.
inline caf::duration timeout_of(const directory::destination& d,
                                const limits& lim) {
  if (d.remote) return caf::duration{lim.remote_request_timeout};
  return caf::duration{lim.request_timeout};
}

}  // namespace switchboard::actors
