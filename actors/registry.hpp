#pragma once

#include <caf/fwd.hpp>

namespace switchboard::actors {

struct node_context;

// The node's registry (docs/ARCHITECTURE.md "cluster/"): the one actor a node
// publishes on its cluster port, through which peers reach the conversation and
// user actors of the shards this node owns. It hands each message to the actor
// at once (a request is delegated, so the answer goes straight back to the
// asker) and never keeps a handle for a peer: a peer asks by id every time, so
// an actor may passivate, and a shard may move, without anybody holding a stale
// handle. A message for a shard this node does not own (now) is answered with
// cluster_errc::not_owner, which the asker turns into `unavailable`.
//
// Messages (dynamically typed, all in messages.hpp):
// - (route_atom, conv_atom, conv_id, message): a request to the
//   conversation's actor, activated if needed.
// - (route_atom, user_atom, user_id, message): a request to the user's
//   actor, activated if needed.
// - (detach_atom, user_id, session_id): a session of another node is gone.
// - (deliver_atom, user_ids, event, except_session, is_chat_message): one
//   event for several users of this node's shards, one message per node
//   and event rather than per user (users without an active actor have no
//   connection, and are skipped).
// - (deliver_atom, user_ids, texts, except_sessions): the chat messages of
//   one write, the same way: one message per node and write.
// - (ingest_atom, shard_chunk) -> string: a page of a shard that moves
//   here, written as it is; "" once durable, else why not (the map does not
//   say the shard moves here at that epoch).
// - (drop_atom, shard) -> string: erases what a failed move left here.
// - (move_atom, shard, target) -> string: moves a shard of this node to
//   `target` (node_context::move_shard); "" once the target owns it.
// - (move_atom, shard, add, remove) -> string: moves a copy of a shard this
//   node leads (node_context::move_copy); "" once done.
// - (get_atom) -> int64: the node's client connections.
// - (channel_atom, conv, channel, users, watch) -> (users, gens, actors,
//   refused): channel `conv` watches `users` of this node's shards (their
//   actors tell it when they go online or offline) and learns who is
//   online now; those of other shards are refused. watch false: it stops
//   watching them (the answer is empty). The registry monitors the channel
//   and ends its watches when it is gone.
caf::actor spawn_registry(caf::actor_system& sys, node_context* ctx);

// The registry's fan-out messages (registry_delivery.cpp), for the users of
// this node's shards:
// - (deliver_atom, users, text, except, chat) and (deliver_atom, users,
//   texts, excepts): an event (the messages of one write) for their
//   connections but the one `except`; for users whose shard changes hands
//   here, to every node (stray_delivery.hpp).
// - (stray_atom, ...) the same, for this node's connections of them.
// - (detach_atom, user, session): a connection of `user` closed.
// - (revalidate_atom, users, changed): the conversations they share
//   changed; their connections check their presence subscriptions.
caf::message_handler delivery_handlers(node_context* ctx);

// The registry's replication messages (registry_replication.cpp):
// - (replicate_atom, leader, appends) -> string: a leader's group for
//   shards this node follows; "" once durable here, else why not.
// - (position_atom, shard) -> {epoch, seq}: where this node's copy stands.
caf::message_handler replication_handlers(caf::event_based_actor* self,
                                          node_context* ctx);

// The registry's side of reconciling this node's copy of a shard with its
// leader's (registry_reconcile.cpp; docs/cluster.md "Replicas, in-sync copies
// and failover"):
// - (journal_atom, shard) -> {epoch, seq, journal summary (flat)} of the
//   copy here; empty while a write of it is not yet durable, or when the
//   copy diverged.
// - (journal_atom, shard, after) -> the keys its groups after `after` wrote
//   (repl_op, erase set), or an error when its journal cannot tell.
// - (patch_atom, epoch, append) -> string: the leader's writes that bring
//   the copy from `append.prev` (which it must hold) to `append.at`.
caf::message_handler reconcile_handlers(caf::event_based_actor* self,
                                        node_context* ctx);

// The registry's push messages (registry_push.cpp), for the users and
// conversations of this node's shards:
// - (outbox_atom, conv, msg_id, sender, preview, created_ms, users, seqs)
//   -> string: a burst's jobs for `users` (seqs[i] each), written in the
//   users' shards and handed to this node's push service; "" once durable.
// - (pushcur_atom, user, conv, upto, read): `user`'s cursor of `conv` is
//   durable at `upto` (push::service::cursor).
// - (unread_atom, user, convs) -> uint32: how many of `convs` have
//   messages past `user`'s read cursor.
// - (devices_atom, user) -> (platforms, tokens, registered_ms): the user's
//   push devices (GET /v1/devices).
caf::message_handler push_handlers(caf::event_based_actor* self,
                                   node_context* ctx);

}  // namespace switchboard::actors
