#pragma once

// The conversation actor's handlers, split by concern across
// conversation_actor.cpp (life cycle, create, members), conversation_send.cpp
// (the send pipeline) and conversation_cursors.cpp (sync, ack/read, typing),
// and the helpers they share (conversation_ops.cpp). Internal to actors/.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "actors/conversation_actor.hpp"
#include "storage/batch.hpp"
#include "storage/result.hpp"

namespace switchboard::actors::detail {

using conv_self = conversation_actor::stateful_pointer<conversation_state>;

// Runs `fn` now, or once loading or creating has finished. Only a request
// that has to wait is kept as a std::function; a ready conversation (the
// hot path) runs it at once.
template <class Fn>
void when_ready(conv_self self, Fn&& fn) {
  using phase = conversation_state::phase;
  auto ph = self->state.ph;
  if (ph == phase::loading || ph == phase::creating)
    self->state.waiting.emplace_back(std::forward<Fn>(fn));
  else
    fn();
}

// The common checks of a request by `user`, in the protocol's order
// (not_found, then forbidden). Returns the error, or an ok one.
proto_error check_member(const conversation_state& st, const std::string& user);

std::vector<std::string> member_ids(const conversation_state& st);

// Calls fn(user) for each member an event of the conversation goes to:
// every member of a group; in a channel the members online (and those it
// is not sure of yet, conversation_channel.cpp).
template <class Fn>
void for_each_recipient(const conversation_state& st, Fn&& fn) {
  if (!st.channel) {
    for (auto& [u, _] : st.members) fn(u);
    return;
  }
  for (auto& [u, _] : st.channel->online) fn(u);
  for (auto& u : st.channel->unsure)
    if (st.channel->online.count(u) == 0) fn(u);
}

// Users of other nodes, by the registry that reaches them.
using users_by_node =
    std::vector<std::pair<caf::actor, std::vector<std::string>>>;
void add_to_node(users_by_node& nodes, const caf::actor& registry,
                 const std::string& user);

// Who caused an event: the connection `session` of `user` got an answer
// instead, so the event skips it. Both empty: nobody (a REST call, the
// admin).
struct origin {
  std::string_view user;
  std::string_view session;
};

// Sends `text` to every connection of each of `users`, except the origin's
// connection and every connection of `skip_user` (may be empty).
void broadcast(conv_self self, const std::vector<std::string>& users,
               const std::string& text, origin from,
               std::string_view skip_user = {}, bool chat_message = false);

// broadcast() to every member of the conversation (in a channel, to the
// online members: for_each_recipient).
void broadcast_members(conv_self self, const std::string& text, origin from,
                       std::string_view skip_user = {},
                       bool chat_message = false);

// The conversations `changed` share with others changed (they joined or
// left this one): each of `users` (those who were or are members) is told,
// for its connections to check their presence subscriptions again
// (session_presence.hpp). Nothing under presence_policy "all".
void tell_sharing_changed(conv_self self, const std::vector<std::string>& users,
                          const std::vector<std::string>& changed);

// The chat messages of one write, in msg_id order, each to every member
// but its origin's connection: as broadcast_members() for each, except that
// the users of each other node get them all in one message (one BASP
// message per node and write, not per node and message), and each member's
// route is looked up once.
struct outgoing_message {
  std::string text;
  std::string sender;
  std::string origin_session;
};
void broadcast_messages(conv_self self,
                        const std::vector<outgoing_message>& messages);

// The inbox entries of users whose shards other nodes own (a cluster):
// their `conv` entries added for `add` and removed for `remove` in each
// owner's store, one request per node, then `then(err, here)` inside the
// actor: err ok once every owner has them durable, `unavailable` if any
// did not; `here` the users of this node's shards, whose entries are left
// to the caller's own batch. An entry is written before the membership it
// indexes and erased after it, so that a member always finds the
// conversation in its list; a stray entry (a failure in between) is
// filtered out when the list is read (read_summaries).
struct inbox_here {
  std::vector<std::string> add, remove;
};
void write_inbox_elsewhere(conv_self self, const std::vector<std::string>& add,
                           const std::vector<std::string>& remove,
                           std::function<void(proto_error, inbox_here)> then);

proto_error internal_error(const std::string& what);

// How long a client should wait before it retries a request the store
// could not take (`unavailable`, with retry_after_ms).
constexpr std::int64_t store_retry_after_ms = 1000;

// The answer to a request the store cannot take now (a write failed, or
// the store is recovering): `unavailable`, never `internal`.
proto_error storage_unavailable(const std::string& what);

// Whether the conversation may write now; the error to answer otherwise.
// Checked before any msg_id or cursor is handed out.
proto_error check_writable(const conversation_state& st);

// Commits `b` through the group commit and runs `then` inside the actor once
// it is durable (or failed); the actor counts it as a write in flight.
// After a failure (once `then` has answered its own requests) the actor
// starts reloading (conversation_state::reloading).
// Every write that succeeded proves what the store held at load is on every
// copy in sync: the duplicates that waited for that are answered.
void confirm_unconfirmed(conv_self self);
void commit_then(conv_self self, storage::batch b,
                 std::function<void(const storage::status&)> then);

// Reloading: answers every request still waiting with `unavailable` and
// passivates once nothing of the actor is in flight. Call after anything
// in flight comes back.
void finish_reload(conv_self self);

// Runs the requests that waited for loading or creating to finish.
void run_waiting(conv_self self);

void do_create(conv_self self, create_request req,
               caf::typed_response_promise<create_reply> rp);
void do_members(conv_self self, members_request req,
                caf::typed_response_promise<proto_error> rp);
void do_send(conv_self self, send_request req, send_answer rp);
// Several sends, in order, queued together so that they go in one write:
// their answers and their deliveries leave the actor together (a batch's
// answer must not trail the messages it acknowledges).
void do_sends(conv_self self, std::vector<send_request> reqs,
              std::vector<send_answer> answers);
void do_sync(conv_self self, sync_request req,
             caf::typed_response_promise<history_reply> rp);
void do_cursor(conv_self self, cursor_request req,
               caf::typed_response_promise<proto_error> rp);
// Members' cursors on request: in a channel the only way others learn
// them, since receipts go to the reader's own devices only.
void do_cursors(conv_self self, cursors_request req,
                caf::typed_response_promise<cursors_reply> rp);
void do_typing(conv_self self, std::string user,
               caf::typed_response_promise<proto_error> rp);

// Channels (conversation_channel.cpp): more members than the fan-out
// threshold. After the members changed (loaded, created, added, removed):
// becomes a channel or a group again as their count says, and watches
// added members or stops watching removed ones.
void channel_members_changed(conv_self self,
                             const std::vector<std::string>& added,
                             const std::vector<std::string>& removed);
// The actor of `user` (the message's sender) says it is online or not.
void channel_notice(conv_self self, const std::string& user, std::uint64_t gen,
                    bool online);
// The routes changed: watches members where their shards went.
void channel_rewatch(conv_self self);
// The timeout tag of channel_retry, which watches again where a watch
// failed.
constexpr std::uint64_t channel_retry_tag = 2;
void channel_retry(conv_self self);
// A monitored user actor is gone; false when it was none of the channel's.
bool channel_down(conv_self self, const caf::down_msg& dm);
// Before the actor stops: its watches end.
void channel_leave(conv_self self);
// Typing in a channel: at most this many events per typing interval reach
// its members, whoever types.
constexpr std::uint32_t channel_typing_per_interval = 3;
bool channel_typing_allowed(conv_self self);

// Push notifications (conversation_push.cpp).
// Adds the burst's job, with `newest` its newest message, to the batch
// that writes the messages (nothing for a channel, or without pushes).
void note_burst(conv_self self, storage::batch& b, const chat_message& newest);
// The batch note_burst added to is durable: the push service learns of it.
void burst_written(conv_self self);
// The push service says the grace of the burst `due` ended: its members'
// jobs are made.
void burst_due(conv_self self, storage::push_entry due);
// `user`'s cursor is durable at `upto` (`read`: a read cursor): its
// pending push is cancelled, and a read clears what was shown, at the push
// service of the user's shard's leader.
void push_cursor(conv_self self, const std::string& user, std::uint64_t upto,
                 bool read);

}  // namespace switchboard::actors::detail
