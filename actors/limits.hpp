#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "actors/request_budgets.hpp"

namespace switchboard::actors {

// The limits and timings of a node (PROTOCOL.md "Limits"); all configurable.
struct limits {
  std::size_t max_body = 4096;         // bytes of a message body
  std::size_t max_frame = 65536;       // bytes of a client frame
  std::uint32_t history_page = 200;    // most messages per sync
  std::size_t max_members = 10000;     // members per conversation
  std::size_t fanout_threshold = 100;  // more members: a channel
  double send_rate = 20;               // sends per second per user
  double send_burst = 50;              // bucket size
  std::array<rate_budget, request_kind_count> budgets = default_budgets;
  std::int64_t typing_interval_ms = 1000;  // per user and conversation
  // A cursor write (ack, read) may wait this long for a message write to
  // share its group commit and fsync (storage::batch::linger); 0: never.
  std::chrono::milliseconds cursor_linger{2};
  std::size_t max_members_per_request = 1000;  // add + remove of `members`
  // One `conversations` answer lists at most inbox_page conversations and,
  // past the first, at most inbox_page_members members in all (has_more
  // and next_after page on), so that its size and cost stay bounded.
  std::uint32_t inbox_page = 1000;
  // Push devices one user keeps; registering another drops the oldest.
  std::size_t max_devices_per_user = 20;
  std::size_t inbox_page_members = 20000;
  int heartbeat_s = 15;                   // sent in welcome
  std::size_t max_queue = 4096;           // outgoing frames per connection
  std::size_t max_queue_bytes = 4 << 20;  // outgoing bytes per connection
  std::size_t max_in_flight = 64;  // requests per connection before it waits
  std::size_t max_presence_ids = 500;  // user_ids per presence request
  std::size_t max_presence_subscriptions = 1000;  // users per connection
  // presence_policy "all": anyone may see anyone's presence (a directory);
  // otherwise only users who share a conversation (presence_policy.hpp).
  bool presence_all = false;
  std::chrono::milliseconds idle_actor{60000};  // passivate after this
  std::chrono::milliseconds request_timeout{10000};
  // A request to an actor on another node (docs/ARCHITECTURE.md "cluster/": at
  // most 2 s, then `unavailable`).
  std::chrono::milliseconds remote_request_timeout{2000};
  // How long a follower may take to persist a replicated group before the
  // leader removes it from the shard's in-sync replicas (docs/ARCHITECTURE.md
  // "cluster/").
  std::chrono::milliseconds replica_lag{1000};
};

}  // namespace switchboard::actors
