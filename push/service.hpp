#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
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
  // Whether a push carries the start of the message's body (cut to
  // preview_max bytes, on a UTF-8 boundary); off: ids only.
  bool preview = false;
  // The Matrix push gateway for devices of platform "gateway"; empty: off.
  std::string gateway_url;
  std::string gateway_app_id;
  // FCM for devices of platform "fcm": the service account's JSON key (its
  // contents; empty: off) and the API's URL.
  std::string fcm_credentials;
  std::string fcm_url = "https://fcm.googleapis.com";
  // Web Push for devices of platform "webpush": the VAPID key (a PEM P-256
  // private key's contents; empty: off) and the contact in its tokens.
  std::string webpush_vapid_key;
  std::string webpush_subject;
  // Whether Web Push endpoints may be http: URLs and reach private,
  // loopback and link-local addresses (a push service inside one's own
  // network, a test's fake); off: https: and public addresses only.
  bool webpush_allow_private = false;
  // APNs for devices of platform "apns": the .p8 key (its contents; empty:
  // off), its key id, the team id, the app's bundle id (the topic) and the
  // API's URL.
  std::string apns_key;
  std::string apns_key_id;
  std::string apns_team_id;
  std::string apns_topic;
  std::string apns_url = "https://api.push.apple.com";
  // A PEM bundle of certificate authorities to trust instead of the
  // system's for every provider (a TLS proxy's, a test's); empty: the
  // system's.
  std::string ca_file;
};

// The push path of a node (docs/push.md). The outbox
// (storage's push_outbox) holds two kinds of jobs: a conversation's burst
// (user_id empty: its messages since the last push, written with them;
// its grace runs here, and its conversation's actor, woken when it ends,
// decides who gets a push) and one job per member that did not receive the
// newest message: at most one per user and conversation, the newest
// replacing older ones. Those are sent here, on a thread of the service's
// own, to each of the user's devices whose provider is configured; a job
// leaves the outbox once every device had it (or refused it for good), so
// a restart sends what was left. Thread-safe.
// What an operator is shown of a device token (a credential for the
// device): its last 6 characters.
std::string token_hint(const std::string& token);

class service {
 public:
  // Throws std::invalid_argument for a provider's configuration it cannot
  // use (FCM credentials that are not a service account's key, a VAPID key
  // or an APNs key that is not P-256, a subject that is no mailto: or
  // https: URL, an APNs key without its ids or topic).
  service(storage::store& store, service_options o, metrics::log_sink log,
          metrics::node_metrics* m);
  ~service();
  service(const service&) = delete;
  service& operator=(const service&) = delete;

  // Whether any provider is configured: without one no job is made.
  bool enabled() const;
  std::chrono::milliseconds grace() const;
  // The preview of `body` a push carries: empty unless the node adds
  // previews; at most preview_max bytes, cut on a UTF-8 boundary.
  std::string preview(const std::string& body) const;
  // Well inside every provider's payload limit (FCM and APNs: 4 KB).
  static constexpr std::size_t preview_max = 200;
  // The platforms whose provider is off (their devices are kept, nothing
  // is sent to them).
  std::vector<std::string> providers_off() const;
  // Web Push's VAPID public key (base64url) that browsers subscribe with;
  // empty when Web Push is off.
  std::string webpush_key() const;

  // --- a cluster (docs/ARCHITECTURE.md "cluster/") ---
  // The outbox of a shard is sent by the shard's leader: `leads(home)`
  // says whether this node leads the shard of `home` (a user's or a
  // conversation's id) now; jobs of other shards are left to their leader.
  // `badge(user)` counts the user's unread conversations wherever their
  // shards are (blocking, bounded by its own timeouts). Both run on the
  // service's thread. Set before start(); none on a standalone node.
  void set_cluster(std::function<bool(const std::string&)> leads,
                   std::function<std::uint32_t(const std::string&)> badge);
  // This node began to lead `shards`: their outbox is read again, and
  // what it holds that this service does not know is sent (a job of a
  // message it has sent already is dropped). Those of shards it no longer
  // leads were let go when their time came.
  void rescan(const std::vector<std::uint16_t>& shards);
  // --- a shard whose lead leaves this node (a move, a transfer) ---
  // Call release() while this node still leads `shard` and takes its
  // writes (before a move begins; before a transfer's pause): from then on
  // no job of it is sent, taken or written here; what is not on its way
  // stays in the outbox for the new leader; sends on their way are waited
  // for (up to `timeout`); and every erase of the shard's jobs this
  // service holds back (they are written together) is written and durable
  // before it returns. false: a send was still on its way at the timeout
  // (the new leader may send that job once more), or the erases could not
  // be written; the log says which.
  bool release(std::uint16_t shard, std::chrono::milliseconds timeout);
  // The erases of `shard` held back since release(), written and durable
  // (inside a transfer's pause, just before the lead goes).
  bool flush(std::uint16_t shard);
  // The lead stays here after all (the move or transfer failed): the
  // shard's jobs are read from the outbox again and sent here.
  void keep(std::uint16_t shard);
  // The lead went: what was held back of `shard` is dropped (the new
  // leader's outbox has those jobs). A rescan that gains it back undoes
  // the release.
  void gone(std::uint16_t shard);

  // Reads the outbox and starts sending: members' jobs at once, and each
  // conversation's burst is handed to `waker` when its grace ends (and
  // again every 10 s until its conversation says burst_done). `waker` runs
  // on the service's thread and must not block (it posts to the
  // conversation's actor).
  void start(std::function<void(storage::push_entry)> waker);
  // Stops sending (what is in flight stays in the outbox); the other calls
  // still work, and send nothing. Before the node goes: `waker` uses it.
  void stop();

  // --- a conversation's side ---
  // A seq for a new job of the outbox.
  std::uint64_t next_seq();
  // The burst `e` of `conv` is durable: its grace runs (a later call for
  // the same seq updates its newest message).
  void burst(const std::string& conv, const storage::push_entry& e);
  // The members' jobs of a burst are durable, the burst erased: these are
  // sent, each replacing the pending job of its user and conversation.
  void handed(const std::vector<storage::push_entry>& jobs);
  void burst_done(const std::string& conv, std::uint64_t seq);

  // `user`'s cursor of `conv` is durable at `upto`: its pending push of a
  // message up to there is cancelled; with `read`, the devices that were
  // pushed for `conv` get a silent update that clears it and sets the
  // badge.
  void cursor(const std::string& user, const std::string& conv,
              std::uint64_t upto, bool read);

  // Jobs of `user` not yet sent.
  std::size_t pending_for(const std::string& user) const;

  // The admin shell's `push test USER`: a notification (conversation
  // "switchboard-test", message 0) to each of `user`'s devices now, outside
  // the outbox; per device (its token's last characters), how it ended:
  // "sent", "gone" (removed), "failed: ...", "retry: ...", "provider off".
  // Blocks up to `timeout`.
  std::vector<std::pair<std::string, std::string>> test(
      const std::string& user, std::chrono::milliseconds timeout);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace switchboard::push
