#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/proto_errors.hpp"
#include "metrics/slowest.hpp"

// The node's metrics: plain atomics that any thread bumps, rendered in the
// Prometheus text format at /metrics. No user or conversation ids as labels.
namespace switchboard::metrics {

class counter {
 public:
  void inc(std::uint64_t n = 1) noexcept {
    v_.fetch_add(n, std::memory_order_relaxed);
  }
  std::uint64_t value() const noexcept {
    return v_.load(std::memory_order_relaxed);
  }

 private:
  std::atomic<std::uint64_t> v_{0};
};

class gauge {
 public:
  void add(std::int64_t n) noexcept {
    v_.fetch_add(n, std::memory_order_relaxed);
  }
  void set(std::int64_t n) noexcept { v_.store(n, std::memory_order_relaxed); }
  std::int64_t value() const noexcept {
    return v_.load(std::memory_order_relaxed);
  }

 private:
  std::atomic<std::int64_t> v_{0};
};

// A histogram with fixed upper bounds (in the metric's base unit).
class histogram {
 public:
  explicit histogram(std::vector<double> bounds);
  void observe(double v) noexcept;
  // Appends the _bucket, _sum and _count lines of `name`.
  void render(std::string& out, std::string_view name) const;
  // What it counted so far: the bounds, the count of each bucket (not
  // cumulative; +Inf last), the count and the sum.
  struct snapshot {
    std::vector<double> bounds;
    std::vector<std::uint64_t> counts;
    std::uint64_t count = 0;
    double sum = 0;
  };
  snapshot snap() const;

 private:
  std::vector<double> bounds_;
  std::vector<std::atomic<std::uint64_t>> buckets_;  // one per bound, +Inf last
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_micro_{0};  // sum in millionths
};

// The resource limits of issue "one user cannot hurt the node", as metric
// labels: each time one trips, switchboard_limit_hits_total{limit} grows.
constexpr std::array<std::string_view, 22> limit_names = {
    "queue_frames",       "queue_bytes",
    "in_flight",          "http_body",
    "http_timeout",       "connections_node",
    "connections_user",   "connections_address",
    "accept_errors",      "presence_subscriptions",
    "typing_throttled",   "rate_sync",
    "rate_conversations", "rate_presence",
    "rate_typing",        "rate_create",
    "rate_members",       "rate_cursor",
    "rate_ping",          "rate_devices",
    "rate_denied",        "channel_typing"};

// The push providers and the ends of a send, as push_sends counts them.
constexpr std::array<std::string_view, 4> push_providers = {
    "apns", "fcm", "gateway", "webpush"};
constexpr std::array<std::string_view, 4> push_outcomes = {"sent", "retry",
                                                           "gone", "failed"};

// The kinds of requests that cross nodes, and their metric labels (a
// conversation's request's label is its CAF atom's name, which
// actors/requests.cpp checks at compile time).
enum class remote_kind : std::size_t {
  create,
  send,
  sync,
  cursor,
  typing,
  members,
  presence,
  attach,
  budget,
  count_,
};
constexpr std::array<std::string_view,
                     static_cast<std::size_t>(remote_kind::count_)>
    remote_kinds = {"create",  "send",     "sync",   "cursor", "typing",
                    "members", "presence", "attach", "budget"};

struct node_metrics {
  gauge connections;           // open WebSocket connections
  counter connections_total;   // accepted since start
  counter messages_accepted;   // acknowledged as sent
  counter messages_delivered;  // message events written to connections
  // Members a conversation's fan-out of a message delivered to or
  // forwarded to their node: every reachable member of a group, the online
  // members of a channel (conversation_channel.cpp).
  counter fanout_members;
  // Users an event was sent to on every node since their shard changed
  // hands (actors/stray_delivery.hpp), once per event and user.
  counter stray_deliveries;
  gauge channels;  // channels active on this node
  // By protocol code, in common::proto_codes' order.
  std::array<counter, common::proto_codes.size()> errors;
  histogram send_latency{
      {0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1}};
  slowest slow_sends;  // the same sends' slowest, by conversation (top)
  histogram commit_batches{{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024}};
  histogram commit_seconds{
      {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1}};
  counter queue_drops;   // connections dropped for a full queue
  counter rate_limited;  // sends refused by the rate limit
  std::array<counter, limit_names.size()> limit_hits;  // by limit_names

  // Counts a limit that tripped; a name not in limit_names is a bug and
  // counts nowhere.
  void limit_hit(std::string_view name) noexcept;
  gauge store_writable;          // 1 while the store takes writes, 0 while not
  counter store_write_failures;  // group writes or WAL syncs that failed
  counter store_unwritable;      // times the store stopped being writable

  // Push notifications (push/service.hpp, docs/push.md): conversation
  // bursts whose grace ended, members' jobs made of them, jobs that
  // replaced a pending one, jobs cancelled by a cursor, sends by outcome,
  // devices removed, jobs dropped for their age, devices skipped for a
  // provider that is off, jobs not yet sent, and one send's time.
  counter push_bursts;
  counter push_created;
  counter push_collapsed;
  counter push_cancelled;
  counter push_sent;
  counter push_failed;
  counter push_retried;
  counter push_removed;
  counter push_expired;
  counter push_off;
  gauge push_backlog;
  // Sends a provider answered, by push_providers and push_outcomes.
  std::array<std::array<counter, push_outcomes.size()>, push_providers.size()>
      push_sends;
  // Counts one (a provider not in push_providers counts nowhere).
  void push_send(std::string_view provider, std::size_t outcome) noexcept;
  // A send that did not end `sent`, by provider and the provider's reason
  // (UNREGISTERED, BadDeviceToken, http_503, unreachable): a label set the
  // providers choose, so bounded here (letters, digits and _, 40 at most;
  // past 32 reasons per provider they count as "other").
  void push_failure(std::string_view provider, std::string_view reason);
  mutable std::mutex push_reasons_mtx;
  std::map<std::pair<std::string, std::string>, std::uint64_t> push_reasons;
  histogram push_send_seconds{
      {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5}};

  // The cluster (docs/ARCHITECTURE.md "cluster/"); all zero on a standalone
  // node.
  gauge shards_owned;     // shards this node owns and serves
  gauge peers_connected;  // live peers whose registry this node reaches
  // Replication (docs/ARCHITECTURE.md "cluster/"): followers dropped from and
  // brought into an ISR by this node as leader, shards it took over from a dead
  // leader, and the time from a write's durability here to its last follower's
  // acknowledgement.
  counter isr_shrinks;
  counter isr_expands;
  // How each follower brought into an ISR got there: its copy made while
  // the shard took writes (streamed), made in the join's pause (a shard
  // without a position, or a stream that failed), or none needed.
  counter catch_ups_streamed;
  counter catch_ups_paused;
  counter catch_ups_none;
  counter catch_ups_reconciled;
  counter failovers;
  // From a takeover's txn to the shard taking writes again (a second copy
  // in sync, or none needed).
  histogram failover_seconds{
      {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}};
  histogram replication_seconds{
      {0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1}};
  // Requests to actors on other nodes, by remote_kinds and outcome.
  std::array<std::array<counter, 2>, remote_kinds.size()> remote_requests;
  histogram remote_latency{
      {0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 2}};
  histogram etcd_keepalive_seconds{
      {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2}};
  counter etcd_keepalive_failures;
  // Counts one request to another node that was answered (`ok`) or not
  // (an error or no answer in time).
  void remote_request(remote_kind kind, bool ok, double seconds) noexcept;

  // One error answered with `code` (none counts nowhere).
  void error(common::proto_code code) noexcept;
  // The Prometheus text exposition of every metric.
  std::string render() const;
};

}  // namespace switchboard::metrics
