#pragma once

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "actors/cursor_writes.hpp"
#include "actors/dedup_window.hpp"
#include "actors/messages.hpp"
#include "actors/node_context.hpp"
#include "actors/send_pipeline.hpp"
#include "storage/conversation_log.hpp"
#include "storage/records.hpp"
#include "storage/store.hpp"

namespace switchboard::actors {

// State of a conversation's actor. Owned by the actor; not thread-safe.
// Where the answer to one send goes: its request's promise, or its place
// in the answer to a batch of sends.
class send_answer {
 public:
  send_answer() = default;
  explicit send_answer(caf::typed_response_promise<send_reply> rp)
      : rp_(std::move(rp)) {}
  explicit send_answer(std::function<void(send_reply)> fn)
      : fn_(std::move(fn)) {}
  void deliver(send_reply r) {
    if (fn_)
      fn_(std::move(r));
    else
      rp_.deliver(std::move(r));
  }

 private:
  caf::typed_response_promise<send_reply> rp_{};
  std::function<void(send_reply)> fn_{};
};

struct conversation_state {
  enum class phase {
    loading,   // reading metadata, members and the last msg_id
    missing,   // no such conversation (yet): only `create` succeeds
    creating,  // the creating write is in flight
    ready,
    failed,  // the store could not be read: every request gets `internal`
  };

  struct send_job {
    send_request req;
    send_answer rp;
    std::string key;  // (sender, client_msg_id): see dedup_key
  };

  using sent_id = actors::sent_id;

  std::string conv_id;
  node_context* ctx = nullptr;
  phase ph = phase::loading;
  std::vector<std::function<void()>> waiting;  // requests while loading
  // One change of members at a time (conversation_members.cpp): its inbox
  // entries on other nodes are written before it and erased after it, and
  // two changes of one user must not cross.
  bool members_busy = false;
  bool leaving = false;  // its shard moves away (move_atom)
  std::deque<std::function<void()>> members_waiting;

  storage::conversation_meta meta;
  std::map<std::string, storage::member_state> members;
  std::optional<storage::conversation_log> log;
  std::uint64_t durable_upto = 0;  // highest acknowledged msg_id
  // With replicas (docs/ARCHITECTURE.md "cluster/"): whether what the store
  // held when this actor loaded is known to be on every in-sync copy. A write
  // that failed to replicate stays in the leader's store; a retry of it is
  // answered `sent` only after a write of this actor has succeeded since (its
  // followers refuse a gap, so it proves every earlier write of the shard is
  // there).
  bool confirmed = true;
  // The store's failure generation when this state was read: every write
  // is fenced with it (storage::batch::fence).
  std::uint64_t store_generation = 0;

  // The send pipeline (send_pipeline.hpp, conversation_send.cpp): sends
  // wait while idempotency keys are looked up in the store, a batch at a
  // time, so that ids follow arrival order.
  send_queue<send_job> sends;
  // Recent (sender, client_msg_id) -> id (dedup_window): answers retries
  // without a read, and repeats of a message still being written.
  dedup_window recent;
  // Duplicates held until their original is durable (and confirmed).
  duplicate_holds<send_job> dups;
  std::size_t writes_in_flight = 0;

  // Cursor writes are coalesced (cursor_writes): while one is in flight,
  // later ack/read updates wait and go out together in the next one (only
  // the newest cursor of a member matters).
  struct cursor_waiter {
    caf::typed_response_promise<proto_error> rp;
    std::vector<std::string> receipts;  // events to send once durable
    std::string user;
    std::string origin_session;
    bool read = false;            // a read, not only an ack
    std::uint64_t delivered = 0;  // the user's delivered cursor it writes
  };
  cursor_writes<cursor_waiter> cursors;

  // A write of this conversation failed: its in-memory state (next msg_id,
  // members, cursors) may be ahead of the store. Everything is answered
  // `unavailable` until the writes in flight are back, then the actor
  // passivates and the next request activates a fresh one that reads the
  // store, so msg_ids stay gap-free and no failed change stays applied.
  bool reloading = false;

  // Push notifications (conversation_push.cpp): the burst of messages
  // since the last push, a job in the outbox written with them, until the
  // push service says its grace ended (after a passivation the service's
  // copy is what remains).
  std::optional<storage::push_entry> push_burst;
  // The last bursts handed over, and those whose hand-over is being
  // written: a repeat of a wake is ignored.
  std::deque<std::uint64_t> push_handed;
  std::set<std::uint64_t> push_handing;
  // The burst's grace ended while a message of it was being written.
  bool push_due_waiting = false;

  // A channel: more members than the fan-out threshold
  // (conversation_channel.cpp). Its members' user actors tell it when they
  // go online or offline, and only the online ones are delivered to.
  struct channel_member {
    caf::actor_addr actor;  // the user's actor that told it
    std::uint64_t gen = 0;  // that actor's count of online changes
  };
  struct channel_state {
    std::unordered_map<std::string, channel_member> online;
    // Members whose actors said they went offline, kept so that an older
    // "online" (a watch's answer overtaken) does not count.
    std::unordered_map<std::string, channel_member> offline;
    // Members whose watch is not answered yet (or must be made again):
    // delivered to as in a group, so that none misses an event while the
    // channel learns.
    std::unordered_set<std::string> unsure;
    std::unordered_map<caf::actor_addr, std::string> monitored;
    // The members it watches, and where each shard's are watched (a null
    // registry: here); the registries of other nodes are monitored.
    std::unordered_set<std::string> watched;
    std::unordered_map<std::uint32_t, caf::actor> watched_at;
    std::unordered_set<caf::actor_addr> registries;
    // Watches of other nodes in flight: the newest request of each user
    // (an older answer does not settle a newer watch).
    std::unordered_map<std::string, std::uint64_t> pending;
    std::uint64_t watches_sent = 0;
    // Members to watch again soon (their shard had no reachable owner, or
    // a watch failed).
    std::set<std::string> retry;
    bool retry_armed = false;
    std::int64_t warned_ms = 0;  // the last failed watch logged
    // Typing in a channel: a few events per interval for the channel.
    std::int64_t typing_window_ms = 0;
    std::uint32_t typing_in_window = 0;
  };
  std::optional<channel_state> channel;
  std::uint64_t channel_starts = 0;  // an answer to an older channel is stale

  std::int64_t last_activity_ms = 0;
  // When each member last had a typing event sent (the throttle).
  std::unordered_map<std::string, std::int64_t> typing_at;

  static inline const char* name = "switchboard.conversation";
};

// The sequencer of one conversation (docs/ARCHITECTURE.md "actors/"): checks
// membership, dedups client_msg_ids, hands out the next gap-free msg_id,
// appends to the log through the group commit, answers `sent` once durable,
// then fans out. Activated on first use by the directory; passivates when idle.
conversation_actor::behavior_type conversation(
    conversation_actor::stateful_pointer<conversation_state> self,
    std::string conv_id, node_context* ctx);

}  // namespace switchboard::actors
