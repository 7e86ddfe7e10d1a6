#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "metrics/log_sink.hpp"

namespace switchboard::storage {
class store;
struct push_entry;
}  // namespace switchboard::storage
namespace switchboard::metrics {
struct node_metrics;
}

namespace switchboard::push {

struct service_options {
  // From a conversation's first unseen message to the pushes of the
  // members that did not receive it (docs/push.md); 0: at once.
  std::chrono::milliseconds grace{10000};
  // A job older than this is dropped unsent (and counted).
  std::chrono::milliseconds max_age{std::chrono::hours(24)};
  // The Matrix push gateway for devices of platform "gateway"; empty: off.
  std::string gateway_url;
  std::string gateway_app_id;
};

// The push path of a standalone node (docs/push.md). The outbox
// (storage's push_outbox) holds two kinds of jobs: a conversation's burst
// (user_id empty: its messages since the last push, written with them,
// whose grace runs in the conversation's actor) and, once the grace ended,
// one job per member that did not receive the newest message: at most one
// per user and conversation, the newest replacing older ones. Those are
// sent here, on a thread of the service's own, to each of the user's
// devices whose provider is configured; a job leaves the outbox once every
// device had it (or refused it for good), so a restart sends what was left,
// once. Thread-safe.
class service {
 public:
  service(storage::store& store, service_options o, metrics::log_sink log,
          metrics::node_metrics* m);
  ~service();
  service(const service&) = delete;
  service& operator=(const service&) = delete;

  // Whether any provider is configured: without one no job is made.
  bool enabled() const;
  std::chrono::milliseconds grace() const;
  // The platforms whose provider is off (their devices are kept, nothing
  // is sent to them).
  std::vector<std::string> providers_off() const;

  // Reads the outbox: the members' jobs are sent from now on; the
  // conversations' bursts are returned, for their actors to finish.
  std::vector<storage::push_entry> start();

  // --- a conversation's burst whose grace ended (its actor) ---
  // The outbox seq to write the job of (user, conv) at: the pending one's
  // (the newest replaces it), or a new one.
  std::uint64_t slot(const std::string& user, const std::string& conv);
  // The write of these members' jobs is durable: they are sent.
  void handed(const std::vector<storage::push_entry>& jobs);

  // `user`'s cursor of `conv` reached `upto` on some device: its pending
  // push of a message up to there is cancelled.
  void cursor(const std::string& user, const std::string& conv,
              std::uint64_t upto);
  // `user` read `conv` (its cursor is durable): the devices that were
  // pushed for it get a silent update that clears it and sets the badge.
  void read(const std::string& user, const std::string& conv);

  // Jobs of `user` not yet sent.
  std::size_t pending_for(const std::string& user) const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace switchboard::push
