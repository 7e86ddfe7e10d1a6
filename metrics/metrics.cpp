#include "metrics/metrics.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>

namespace switchboard::metrics {

histogram::histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(bounds_.size() + 1) {}

void histogram::observe(double v) noexcept {
  std::size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_micro_.fetch_add(
      static_cast<std::uint64_t>(std::llround(std::max(0.0, v) * 1e6)),
      std::memory_order_relaxed);
}

histogram::snapshot histogram::snap() const {
  snapshot s;
  s.bounds = bounds_;
  for (auto& b : buckets_)
    s.counts.push_back(b.load(std::memory_order_relaxed));
  s.count = count_.load(std::memory_order_relaxed);
  s.sum = static_cast<double>(sum_micro_.load(std::memory_order_relaxed)) / 1e6;
  return s;
}

namespace {

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

void header(std::string& out, std::string_view name, std::string_view type,
            std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void sample(std::string& out, std::string_view name, std::string_view labels,
            double v) {
  out.append(name);
  if (!labels.empty()) out.append("{").append(labels).append("}");
  out.append(" ").append(number(v)).append("\n");
}

}  // namespace

void histogram::render(std::string& out, std::string_view name) const {
  std::uint64_t cumulative = 0;
  std::string bucket = std::string(name) + "_bucket";
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    std::string le = i < bounds_.size() ? number(bounds_[i]) : "+Inf";
    sample(out, bucket, "le=\"" + le + "\"", static_cast<double>(cumulative));
  }
  sample(out, std::string(name) + "_sum", {},
         static_cast<double>(sum_micro_.load(std::memory_order_relaxed)) / 1e6);
  sample(out, std::string(name) + "_count", {},
         static_cast<double>(count_.load(std::memory_order_relaxed)));
}

void node_metrics::error(common::proto_code code) noexcept {
  auto i = static_cast<std::size_t>(code);
  if (i < errors.size()) errors[i].inc();
}

void node_metrics::limit_hit(std::string_view name) noexcept {
  for (std::size_t i = 0; i < limit_names.size(); ++i)
    if (limit_names[i] == name) return limit_hits[i].inc();
}

void node_metrics::remote_request(remote_kind kind, bool ok,
                                  double seconds) noexcept {
  auto i = static_cast<std::size_t>(kind);
  if (i >= remote_kinds.size()) return;
  remote_requests[i][ok ? 0 : 1].inc();
  remote_latency.observe(seconds);
}

void node_metrics::push_send(std::string_view provider,
                             std::size_t outcome) noexcept {
  if (outcome >= push_outcomes.size()) return;
  for (std::size_t i = 0; i < push_providers.size(); ++i)
    if (push_providers[i] == provider) return push_sends[i][outcome].inc();
}

void node_metrics::push_failure(std::string_view provider,
                                std::string_view reason) {
  std::string label;
  for (char c : reason.substr(0, 40))
    label +=
        (std::isalnum(static_cast<unsigned char>(c)) || c == '_') ? c : '_';
  if (label.empty()) label = "unknown";
  std::lock_guard<std::mutex> l(push_reasons_mtx);
  std::size_t known = 0;
  for (auto& [k, n] : push_reasons) known += k.first == provider;
  std::pair<std::string, std::string> key{std::string(provider), label};
  if (!push_reasons.count(key) && known >= 32) key.second = "other";
  ++push_reasons[key];
}

std::string node_metrics::render() const {
  std::string out;
  header(out, "switchboard_connections", "gauge",
         "Open WebSocket connections.");
  sample(out, "switchboard_connections", {},
         static_cast<double>(connections.value()));
  header(out, "switchboard_connections_total", "counter",
         "WebSocket connections accepted.");
  sample(out, "switchboard_connections_total", {},
         static_cast<double>(connections_total.value()));
  header(out, "switchboard_messages_accepted_total", "counter",
         "Messages acknowledged as sent (durable).");
  sample(out, "switchboard_messages_accepted_total", {},
         static_cast<double>(messages_accepted.value()));
  header(out, "switchboard_messages_delivered_total", "counter",
         "Message events written to connections.");
  sample(out, "switchboard_messages_delivered_total", {},
         static_cast<double>(messages_delivered.value()));
  header(out, "switchboard_fanout_members_total", "counter",
         "Members visited by the fan-out of messages: a group's all, a "
         "channel's online ones.");
  sample(out, "switchboard_fanout_members_total", {},
         static_cast<double>(fanout_members.value()));
  header(out, "switchboard_stray_deliveries_total", "counter",
         "Users an event was sent to on every node, their shard changing "
         "hands.");
  sample(out, "switchboard_stray_deliveries_total", {},
         static_cast<double>(stray_deliveries.value()));
  header(out, "switchboard_channels", "gauge",
         "Channels (conversations over the fan-out threshold) active here.");
  sample(out, "switchboard_channels", {},
         static_cast<double>(channels.value()));
  header(out, "switchboard_errors_total", "counter",
         "Error answers to clients, by code.");
  for (std::size_t i = 0; i < common::proto_codes.size(); ++i)
    sample(out, "switchboard_errors_total",
           "code=\"" + std::string(common::proto_codes[i].wire) + "\"",
           static_cast<double>(errors[i].value()));
  header(out, "switchboard_send_latency_seconds", "histogram",
         "From receiving a send to answering sent.");
  send_latency.render(out, "switchboard_send_latency_seconds");
  header(out, "switchboard_commit_batch_size", "histogram",
         "Batches written together by one group commit.");
  commit_batches.render(out, "switchboard_commit_batch_size");
  header(out, "switchboard_commit_write_seconds", "histogram",
         "Time of one group-commit write (without the WAL sync).");
  commit_seconds.render(out, "switchboard_commit_write_seconds");
  header(out, "switchboard_queue_drops_total", "counter",
         "Connections dropped because their outgoing queue passed the cap.");
  sample(out, "switchboard_queue_drops_total", {},
         static_cast<double>(queue_drops.value()));
  header(out, "switchboard_rate_limited_total", "counter",
         "Sends refused by the rate limit.");
  sample(out, "switchboard_rate_limited_total", {},
         static_cast<double>(rate_limited.value()));
  header(out, "switchboard_limit_hits_total", "counter",
         "Times a resource limit tripped (closed, paused, refused), by limit.");
  for (std::size_t i = 0; i < limit_names.size(); ++i)
    sample(out, "switchboard_limit_hits_total",
           "limit=\"" + std::string(limit_names[i]) + "\"",
           static_cast<double>(limit_hits[i].value()));
  header(out, "switchboard_store_writable", "gauge",
         "1 while the store takes writes; 0 after a failed write (disk "
         "full, I/O error) until it has recovered.");
  sample(out, "switchboard_store_writable", {},
         static_cast<double>(store_writable.value()));
  header(out, "switchboard_store_write_failures_total", "counter",
         "Store writes or WAL syncs that failed.");
  sample(out, "switchboard_store_write_failures_total", {},
         static_cast<double>(store_write_failures.value()));
  header(out, "switchboard_store_unwritable_total", "counter",
         "Times the store stopped taking writes.");
  sample(out, "switchboard_store_unwritable_total", {},
         static_cast<double>(store_unwritable.value()));
  header(out, "switchboard_cluster_shards_owned", "gauge",
         "Shards this node owns and serves.");
  sample(out, "switchboard_cluster_shards_owned", {},
         static_cast<double>(shards_owned.value()));
  header(out, "switchboard_cluster_peers_connected", "gauge",
         "Live peers whose registry this node is connected to.");
  sample(out, "switchboard_cluster_peers_connected", {},
         static_cast<double>(peers_connected.value()));
  auto count = [&](const char* name, const char* help, const counter& c) {
    header(out, name, "counter", help);
    sample(out, name, {}, static_cast<double>(c.value()));
  };
  count("switchboard_push_bursts_total",
        "Conversation bursts whose push grace ended.", push_bursts);
  count("switchboard_push_jobs_total",
        "Push jobs made for members that did not receive a message.",
        push_created);
  count("switchboard_push_collapsed_total",
        "Push jobs that replaced a pending one of the same user and "
        "conversation.",
        push_collapsed);
  count("switchboard_push_cancelled_total",
        "Pending push jobs cancelled by an ack or read.", push_cancelled);
  count("switchboard_push_sent_total", "Pushes a provider took.", push_sent);
  count("switchboard_push_failed_total", "Pushes a provider refused for good.",
        push_failed);
  count("switchboard_push_retried_total",
        "Push jobs tried again after a provider refused them for now.",
        push_retried);
  count("switchboard_push_devices_removed_total",
        "Devices removed because their provider said they are gone.",
        push_removed);
  count("switchboard_push_expired_total",
        "Push jobs dropped unsent for their age.", push_expired);
  count("switchboard_push_provider_off_total",
        "Devices skipped because their provider is not configured.", push_off);
  header(out, "switchboard_push_sends_total", "counter",
         "Pushes a provider answered, by provider and outcome (sent, retry: "
         "refused for now, gone: the device was removed, failed: refused for "
         "good).");
  for (std::size_t p = 0; p < push_providers.size(); ++p)
    for (std::size_t k = 0; k < push_outcomes.size(); ++k)
      sample(out, "switchboard_push_sends_total",
             "provider=\"" + std::string(push_providers[p]) + "\",outcome=\"" +
                 std::string(push_outcomes[k]) + "\"",
             static_cast<double>(push_sends[p][k].value()));
  header(out, "switchboard_push_failures_total", "counter",
         "Pushes a provider did not take (retry, gone or failed), by "
         "provider and the provider's reason.");
  {
    std::lock_guard<std::mutex> l(push_reasons_mtx);
    for (auto& [k, n] : push_reasons)
      sample(out, "switchboard_push_failures_total",
             "provider=\"" + k.first + "\",reason=\"" + k.second + "\"",
             static_cast<double>(n));
  }
  header(out, "switchboard_push_backlog", "gauge", "Push jobs not yet sent.");
  sample(out, "switchboard_push_backlog", {},
         static_cast<double>(push_backlog.value()));
  header(out, "switchboard_push_send_seconds", "histogram",
         "From a push's send to its provider's answer.");
  push_send_seconds.render(out, "switchboard_push_send_seconds");
  header(out, "switchboard_isr_shrinks_total", "counter",
         "Followers this node removed from a shard's in-sync replicas.");
  sample(out, "switchboard_isr_shrinks_total", {},
         static_cast<double>(isr_shrinks.value()));
  header(out, "switchboard_isr_expands_total", "counter",
         "Followers this node brought into a shard's in-sync replicas.");
  sample(out, "switchboard_isr_expands_total", {},
         static_cast<double>(isr_expands.value()));
  header(out, "switchboard_replica_catch_ups_total", "counter",
         "Followers brought into an ISR, by how their copy was made: "
         "copied while the shard took writes (streamed), copied in a pause "
         "of its writes (paused), truncated and patched from the journals "
         "(reconciled), or not at all (none).");
  sample(out, "switchboard_replica_catch_ups_total", "how=\"streamed\"",
         static_cast<double>(catch_ups_streamed.value()));
  sample(out, "switchboard_replica_catch_ups_total", "how=\"paused\"",
         static_cast<double>(catch_ups_paused.value()));
  sample(out, "switchboard_replica_catch_ups_total", "how=\"none\"",
         static_cast<double>(catch_ups_none.value()));
  sample(out, "switchboard_replica_catch_ups_total", "how=\"reconciled\"",
         static_cast<double>(catch_ups_reconciled.value()));
  header(out, "switchboard_failovers_total", "counter",
         "Shards this node took over from a dead leader.");
  sample(out, "switchboard_failovers_total", {},
         static_cast<double>(failovers.value()));
  header(out, "switchboard_failover_seconds", "histogram",
         "From taking over a dead leader's shard to the shard taking "
         "writes again.");
  failover_seconds.render(out, "switchboard_failover_seconds");
  header(out, "switchboard_replication_seconds", "histogram",
         "From a group's durability on its leader to its last follower's "
         "acknowledgement.");
  replication_seconds.render(out, "switchboard_replication_seconds");
  header(out, "switchboard_cluster_requests_total", "counter",
         "Requests to actors on other nodes, by kind and outcome.");
  for (std::size_t i = 0; i < remote_kinds.size(); ++i)
    for (int ok = 0; ok < 2; ++ok)
      sample(out, "switchboard_cluster_requests_total",
             "kind=\"" + std::string(remote_kinds[i]) + "\",outcome=\"" +
                 (ok == 0 ? "ok" : "failed") + "\"",
             static_cast<double>(remote_requests[i][ok].value()));
  header(out, "switchboard_cluster_request_seconds", "histogram",
         "From asking an actor on another node to its answer.");
  remote_latency.render(out, "switchboard_cluster_request_seconds");
  header(out, "switchboard_etcd_keepalive_seconds", "histogram",
         "Latency of the node's etcd lease keepalives.");
  etcd_keepalive_seconds.render(out, "switchboard_etcd_keepalive_seconds");
  header(out, "switchboard_etcd_keepalive_failures_total", "counter",
         "etcd lease keepalives that failed.");
  sample(out, "switchboard_etcd_keepalive_failures_total", {},
         static_cast<double>(etcd_keepalive_failures.value()));
  return out;
}

}  // namespace switchboard::metrics
