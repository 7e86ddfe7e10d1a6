#pragma once

// Every CAF message type of Switchboard, its atoms and the typed interfaces
// of its actors: one header, one type-ID block (STYLE). Message structs are
// plain data with an `inspect` overload, because the cluster sends them
// between nodes.

#include <caf/all.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "actors/proto_error.hpp"
#include "actors/replication_types.hpp"

namespace switchboard::actors {

// --- atoms (at most 10 characters) ---
using frame_atom = caf::atom_constant<caf::atom("frame")>;
using closed_atom = caf::atom_constant<caf::atom("closed")>;
using push_atom = caf::atom_constant<caf::atom("push")>;
using continue_atom = caf::atom_constant<caf::atom("continue")>;
using timeout_atom = caf::atom_constant<caf::atom("timeout")>;
using attach_atom = caf::atom_constant<caf::atom("attach")>;
using detach_atom = caf::atom_constant<caf::atom("detach")>;
using deliver_atom = caf::atom_constant<caf::atom("deliver")>;
using presence_atom = caf::atom_constant<caf::atom("presence")>;
using subscribe_atom = caf::atom_constant<caf::atom("subscribe")>;
// (unwatch_atom, session): a presence subscription ends (the two no longer
// share a conversation); (revalidate_atom, users): the conversations these
// users share changed, and subscriptions to them are checked again.
using unwatch_atom = caf::atom_constant<caf::atom("unwatch")>;
using revalidate_atom = caf::atom_constant<caf::atom("revalidate")>;
using create_atom = caf::atom_constant<caf::atom("create")>;
using send_atom = caf::atom_constant<caf::atom("send")>;
using sync_atom = caf::atom_constant<caf::atom("sync")>;
using cursor_atom = caf::atom_constant<caf::atom("cursor")>;
using typing_atom = caf::atom_constant<caf::atom("typing")>;
using members_atom = caf::atom_constant<caf::atom("members")>;
// The cluster's registry (registry.hpp): a message for the actor of a
// conversation or a user, wherever the sender is.
using route_atom = caf::atom_constant<caf::atom("route")>;
using conv_atom = caf::atom_constant<caf::atom("conv")>;
using user_atom = caf::atom_constant<caf::atom("user")>;
// A shard's move (registry.hpp): its keys copied to the new owner, or
// dropped by a node that got them for a move that failed.
using ingest_atom = caf::atom_constant<caf::atom("ingest")>;
using drop_atom = caf::atom_constant<caf::atom("drop")>;
using move_atom = caf::atom_constant<caf::atom("move")>;
// The inbox index across nodes (registry.hpp): users' conversation ids at
// the users' owner, conversation summaries at the conversations' owner.
using inbox_atom = caf::atom_constant<caf::atom("inbox")>;
using summary_atom = caf::atom_constant<caf::atom("summary")>;
// Push notifications across nodes (registry_push.cpp): members' jobs
// written at their users' owner, a cursor told to the user's owner, and a
// user's unread conversations counted at the conversations' owners.
using outbox_atom = caf::atom_constant<caf::atom("outbox")>;
using pushcur_atom = caf::atom_constant<caf::atom("pushcur")>;
using unread_atom = caf::atom_constant<caf::atom("unread")>;
// (devices_atom, user) -> (platforms, tokens, registered_ms): the push
// devices of a user of the registry's node's shards.
using devices_atom = caf::atom_constant<caf::atom("devices")>;
// An admin API request another node forwards (admin/cluster_forward).
using admin_atom = caf::atom_constant<caf::atom("admin")>;
// Every revocation a node keeps, for a node that joins (registry.hpp).
using revoked_atom = caf::atom_constant<caf::atom("revoked")>;
// (lend_atom, budget, user, debt, want) -> (granted, wait_ms): a slice of a
// user's rate budget, from the owner of the user's shard
// (budget_slices.hpp).
using lend_atom = caf::atom_constant<caf::atom("lend")>;
// Shard replication (replicator.hpp, registry_replication.cpp):
// (replicate_atom, leader, appends) -> "" or why not, once durable at the
// follower; (position_atom, shard) -> (epoch, seq) of the follower's copy.
using replicate_atom = caf::atom_constant<caf::atom("replicate")>;
using position_atom = caf::atom_constant<caf::atom("position")>;
// Reconciling a copy of a shard with its leader's (registry_reconcile.cpp,
// app/shard_reconcile.cpp): (journal_atom, shard) -> the copy's position
// and journal summary; (journal_atom, shard, after) -> the keys its groups
// after seq `after` wrote; (patch_atom, epoch, append) -> "" once the copy
// holds the leader's position.
using journal_atom = caf::atom_constant<caf::atom("journal")>;
using patch_atom = caf::atom_constant<caf::atom("patch")>;
// Channels (conversation_channel.cpp): a user's actor tells a channel
// that watches it (user, gen, online); a channel of this node is told that
// the routes changed (no arguments); a channel asks a node's registry to
// watch users of its shards, or to stop (registry.hpp).
using channel_atom = caf::atom_constant<caf::atom("channel")>;
// (hello_atom, node_id, incarnation, registry): a peer of a smaller id
// that connected to this node gives it its registry (one connection per
// pair of nodes; app/cluster_node).
using hello_atom = caf::atom_constant<caf::atom("hello")>;
// (stray_atom, users, text, except, chat) and (stray_atom, users, texts,
// excepts): a delivery to users whose shard changes hands, for this
// node's connections of them (stray_delivery.hpp).
using stray_atom = caf::atom_constant<caf::atom("stray")>;

// One message of a conversation, as clients see it.
struct chat_message {
  std::string conv_id;
  std::uint64_t msg_id = 0;
  std::string sender;
  std::string body;
  std::int64_t ts = 0;
  std::string client_msg_id;
};

struct create_request {
  std::string creator;
  std::string origin_session;        // the connection that asked, or empty
  std::string kind;                  // "direct" or "group"
  std::vector<std::string> members;  // validated user ids, creator included
  std::string title;
};

struct create_reply {
  proto_error err;
  std::string conv_id;
  std::string kind;
  std::vector<std::string> members;
  bool existed = false;
};

struct send_request {
  std::string sender;
  std::string origin_session;
  std::string client_msg_id;
  std::string body;
};

struct send_reply {
  proto_error err;
  std::uint64_t msg_id = 0;
  std::int64_t ts = 0;
  bool duplicate = false;
};

// A history query: messages after `after` (oldest first) when has_after,
// else before `before` (newest first) when it is not 0, else the newest.
struct sync_request {
  std::string user;
  bool has_after = false;
  std::uint64_t after = 0;
  std::uint64_t before = 0;
  std::uint32_t limit = 50;
};

struct history_reply {
  proto_error err;
  std::vector<chat_message> messages;
  bool has_more = false;
};

// An `ack` (read == false) or a `read` of one user's device.
struct cursor_request {
  std::string user;
  std::string origin_session;
  bool read = false;
  std::uint64_t msg_id = 0;
};

// A `receipts` request: `user` asks for the cursors of `user_ids`.
struct cursors_request {
  std::string user;
  std::vector<std::string> user_ids;
};

// The cursors of those of the asked users who are members, in the order
// asked.
struct cursors_reply {
  proto_error err;
  std::vector<std::string> users;
  std::vector<std::uint64_t> delivered;
  std::vector<std::uint64_t> read;
};

struct members_request {
  std::string user;
  std::string origin_session;
  std::vector<std::string> add;
  std::vector<std::string> remove;
  bool admin = false;  // an operator: no membership or creator checks
};

struct presence_status {
  std::string user_id;
  bool online = false;
  std::int64_t last_seen = 0;  // 0: never seen
};

// One entry of a user's conversation list (PROTOCOL.md `inbox`), read
// where the conversation lives.
struct conv_summary {
  std::string conv_id;
  std::string kind;
  std::string title;
  std::vector<std::string> members;
  std::uint64_t last_msg_id = 0;
  std::uint64_t read_upto = 0;
  std::uint64_t delivered_upto = 0;
  std::uint64_t unread = 0;
};

// The summaries of the first `covered` of the conversations asked for (a
// read stops when its member budget is spent): those that exist and have
// the user as a member, in the order asked.
struct summary_page {
  std::vector<conv_summary> list;
  std::uint32_t covered = 0;
};

// One page of a shard's keys on its way to the shard's new owner: keys and
// values in the store's own format (storage/keys.hpp, records.hpp; the data
// directory's format 2, the same on every node of a cluster), never
// RocksDB's internal objects. `epoch` is the shard's epoch of the move.
struct shard_chunk {
  std::uint32_t shard = 0;
  std::int64_t epoch = 0;
  std::uint8_t cf = 0;  // storage::tag_of(the column family)
  bool first = false;   // the move's first page: the receiver drops what
                        // it had of the shard first
  // A copy for a replica of the shard (its leader's catch-up, docs/cluster.md
  // "Replicas, in-sync copies and failover"), not a move: taken from the
  // shard's leader at `epoch`.
  bool replica = false;
  std::vector<std::string> keys;
  std::vector<std::string> values;
};

// Work to run inside an actor, posted back by a thread that did blocking
// I/O for it. Local only: never crosses the network.
struct continuation {
  std::function<void()> fn;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, chat_message& x) {
  return f(caf::meta::type_name("chat_message"), x.conv_id, x.msg_id, x.sender,
           x.body, x.ts, x.client_msg_id);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, create_request& x) {
  return f(caf::meta::type_name("create_request"), x.creator, x.origin_session,
           x.kind, x.members, x.title);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, create_reply& x) {
  return f(caf::meta::type_name("create_reply"), x.err, x.conv_id, x.kind,
           x.members, x.existed);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, send_request& x) {
  return f(caf::meta::type_name("send_request"), x.sender, x.origin_session,
           x.client_msg_id, x.body);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, send_reply& x) {
  return f(caf::meta::type_name("send_reply"), x.err, x.msg_id, x.ts,
           x.duplicate);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, sync_request& x) {
  return f(caf::meta::type_name("sync_request"), x.user, x.has_after, x.after,
           x.before, x.limit);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, history_reply& x) {
  return f(caf::meta::type_name("history_reply"), x.err, x.messages,
           x.has_more);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cursor_request& x) {
  return f(caf::meta::type_name("cursor_request"), x.user, x.origin_session,
           x.read, x.msg_id);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cursors_request& x) {
  return f(caf::meta::type_name("cursors_request"), x.user, x.user_ids);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cursors_reply& x) {
  return f(caf::meta::type_name("cursors_reply"), x.err, x.users, x.delivered,
           x.read);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, members_request& x) {
  return f(caf::meta::type_name("members_request"), x.user, x.origin_session,
           x.add, x.remove, x.admin);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, conv_summary& x) {
  return f(caf::meta::type_name("conv_summary"), x.conv_id, x.kind, x.title,
           x.members, x.last_msg_id, x.read_upto, x.delivered_upto, x.unread);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, summary_page& x) {
  return f(caf::meta::type_name("summary_page"), x.list, x.covered);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shard_chunk& x) {
  return f(caf::meta::type_name("shard_chunk"), x.shard, x.epoch, x.cf, x.first,
           x.replica, x.keys, x.values);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, presence_status& x) {
  return f(caf::meta::type_name("presence_status"), x.user_id, x.online,
           x.last_seen);
}

// --- actor interfaces ---

// One client connection (PROTOCOL.md, WebSocket).
using session_actor = caf::typed_actor<
    caf::reacts_to<frame_atom, std::string>,  // a text frame from the client
    caf::reacts_to<closed_atom>,              // the connection is gone
    caf::reacts_to<push_atom, std::string>,   // an event to write out
    caf::reacts_to<push_atom, std::vector<std::string>>,  // several, in order
    // the user's actor is gone (its shard moved): register again
    caf::reacts_to<attach_atom>,
    // subscribe again to the presence of a user whose actor went away
    // (user, attempt)
    caf::reacts_to<subscribe_atom, std::string, std::uint32_t>,
    // the conversations these users share changed: check again the
    // subscriptions to them (to all, when the session's user is one)
    caf::reacts_to<revalidate_atom, std::vector<std::string>>,
    // (user, event JSON): a change of a watched user's presence, written
    // only while the session keeps that subscription
    caf::reacts_to<presence_atom, std::string, std::string>,
    caf::reacts_to<continue_atom, continuation>>;

// One user: the registry of its connections, its presence and last seen.
using user_actor = caf::typed_actor<
    // (session_id, session): a connection came up; answers the user
    // actor itself, for the session to monitor
    caf::replies_to<attach_atom, std::string,
                    session_actor>::with<caf::strong_actor_ptr>,
    caf::reacts_to<detach_atom, std::string>,  // (session_id) went away
    // (event JSON, session_id to skip or "", is a chat message): to every
    // connection but one; chat messages are counted as deliveries
    caf::reacts_to<deliver_atom, std::string, std::string, bool>,
    // (chat message JSONs, the session_id each skips): the messages of one
    // write, in order, to the connections of another node in one message
    caf::reacts_to<deliver_atom, std::vector<std::string>,
                   std::vector<std::string>>,
    caf::replies_to<presence_atom>::with<presence_status>,
    // later presence changes go to the session as `push` events
    caf::replies_to<subscribe_atom, session_actor>::with<presence_status>,
    caf::reacts_to<unwatch_atom, session_actor>,  // a subscription ends
    // to every connection of the user (session_actor's)
    caf::reacts_to<revalidate_atom, std::vector<std::string>>,
    caf::reacts_to<continue_atom, continuation>,
    caf::reacts_to<timeout_atom, std::uint64_t>>;

// One conversation: the sequencer and only writer of its log.
using conversation_actor = caf::typed_actor<
    caf::replies_to<create_atom, create_request>::with<create_reply>,
    caf::replies_to<send_atom, send_request>::with<send_reply>,
    // several sends of one connection, in order: one answer each
    caf::replies_to<send_atom,
                    std::vector<send_request>>::with<std::vector<send_reply>>,
    caf::replies_to<sync_atom, sync_request>::with<history_reply>,
    caf::replies_to<cursor_atom, cursor_request>::with<proto_error>,
    // members' cursors (a `receipts` request)
    caf::replies_to<cursor_atom, cursors_request>::with<cursors_reply>,
    // (user): a typing notification
    caf::replies_to<typing_atom, std::string>::with<proto_error>,
    caf::replies_to<members_atom, members_request>::with<proto_error>,
    // its shard moves away: finish what it has, then stop
    caf::reacts_to<move_atom>, caf::reacts_to<continue_atom, continuation>,
    caf::reacts_to<timeout_atom, std::uint64_t>,
    // its push burst's grace ended (push::service): (seq, msg_id, sender,
    // created_ms)
    caf::reacts_to<push_atom, std::uint64_t, std::uint64_t, std::string,
                   std::int64_t>,
    // a channel's member (user, gen) went online (true) or offline, as its
    // user's actor says (conversation_channel.cpp)
    caf::reacts_to<channel_atom, std::string, std::uint64_t, bool>,
    // the routes changed: a channel watches its members where they went
    caf::reacts_to<channel_atom>>;

// The registry's answer to a request for an actor its node does not hold
// now (the shard moved or is moving, the node is not ready): the asker
// answers `unavailable`, and a retry finds the new owner. The code of a
// caf::error in the category "cluster".
enum class cluster_errc : std::uint8_t { not_owner = 1 };
inline caf::error make_cluster_error(cluster_errc code) {
  return caf::error(static_cast<std::uint8_t>(code), caf::atom("cluster"));
}

// Registers the message types with an actor system's configuration, so
// that they can cross the network between nodes.
void register_types(caf::actor_system_config& cfg);

}  // namespace switchboard::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(switchboard::actors::continuation)

CAF_BEGIN_TYPE_ID_BLOCK(switchboard, caf::first_custom_type_id)
  CAF_ADD_TYPE_ID(switchboard, (switchboard::actors::proto_error))
  CAF_ADD_TYPE_ID(switchboard, (switchboard::actors::chat_message))
  CAF_ADD_TYPE_ID(switchboard, (switchboard::actors::create_request))
  CAF_ADD_TYPE_ID(switchboard, (switchboard::actors::create_reply))
  CAF_ADD_TYPE_ID(switchboard, (switchboard::actors::send_request))
  CAF_ADD_TYPE_ID(switchboard, (switchboard::actors::send_reply))
  CAF_ADD_TYPE_ID(switchboard, (std::vector<switchboard::actors::send_request>))
  CAF_ADD_TYPE_ID(switchboard, (std::vector<switchboard::actors::send_reply>))
  CAF_ADD_TYPE_ID(switchboard, (switchboard::actors::sync_request))
  CAF_ADD_TYPE_ID(switchboard, (switchboard::actors::history_reply))
  CAF_ADD_TYPE_ID(switchboard, (switchboard::actors::cursor_request))
  CAF_ADD_TYPE_ID(switchboard, (switchboard::actors::members_request))
  CAF_ADD_TYPE_ID(switchboard, (switchboard::actors::presence_status))
  CAF_ADD_TYPE_ID(switchboard, (switchboard::actors::shard_chunk))
  CAF_ADD_TYPE_ID(switchboard, (switchboard::actors::conv_summary))
  CAF_ADD_TYPE_ID(switchboard, (std::vector<switchboard::actors::conv_summary>))
  CAF_ADD_TYPE_ID(switchboard, (switchboard::actors::summary_page))
  CAF_ADD_TYPE_ID(switchboard, (std::vector<std::vector<std::string>>))
  CAF_ADD_TYPE_ID(switchboard, (std::vector<std::int64_t>))
  CAF_ADD_TYPE_ID(switchboard, (switchboard::actors::repl_op))
  CAF_ADD_TYPE_ID(switchboard, (switchboard::actors::repl_append))
  CAF_ADD_TYPE_ID(switchboard, (std::vector<switchboard::actors::repl_append>))
  CAF_ADD_TYPE_ID(switchboard, (std::vector<switchboard::actors::repl_op>))
CAF_END_TYPE_ID_BLOCK(switchboard)
