#pragma once

// The push service's inside (service.cpp, service_worker.cpp): its state
// and the worker's steps. Internal to push/.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "common/clock.hpp"
#include "metrics/log_sink.hpp"
#include "push/apns_provider.hpp"
#include "push/fcm_provider.hpp"
#include "push/gateway_provider.hpp"
#include "push/http_client.hpp"
#include "push/provider.hpp"
#include "push/service.hpp"
#include "push/webpush_provider.hpp"
#include "storage/shard.hpp"
#include "storage/store.hpp"

namespace switchboard::metrics {
struct node_metrics;
}

namespace switchboard::push {

namespace detail {

using clock = std::chrono::steady_clock;
using key_t = std::pair<std::string, std::string>;               // user, conv
using burst_key = std::pair<std::string, std::uint64_t>;         // conv, seq
using results_t = std::vector<std::pair<std::string, outcome>>;  // token
using namespace std::chrono_literals;

// Retries of a send the provider refused for now.
constexpr auto retry_base = 500ms;
constexpr auto retry_cap = std::chrono::milliseconds(5 * 60 * 1000);
// A burst whose conversation did not say it was handed over this long after
// it was woken is woken again (its write failed, its actor went away).
constexpr auto burst_rewake = 10s;
// Members' jobs being sent at once: a backlog drains this many at a time.
constexpr std::size_t sends_max = 256;
// A badge counts at most this many conversations.
constexpr std::size_t badge_scan_max = 1000;
// Conversations remembered as pushed (for the clear on read), the oldest
// forgotten first.
constexpr std::size_t pushed_max = 100000;
// Erases of the outbox wait at most this long, or for this many, to share
// one write.
constexpr auto erase_delay = std::chrono::milliseconds(5);
constexpr std::size_t erase_batch = 256;

}  // namespace detail

// This header is push/'s own: its names are the service's vocabulary.
using namespace detail;

struct service::impl {
  using clock = detail::clock;
  using key_t = detail::key_t;
  using burst_key = detail::burst_key;
  using results_t = detail::results_t;
  impl(storage::store& s, service_options opts, metrics::log_sink l,
       metrics::node_metrics* mm)
      : store(s), o(std::move(opts)), log(std::move(l)), m(mm) {}
  storage::store& store;
  service_options o;
  metrics::log_sink log;
  metrics::node_metrics* m;
  std::shared_ptr<http_client> http;
  std::shared_ptr<http_client> webpush_http;  // http, or its own
  std::unique_ptr<gateway_provider> gateway;
  std::unique_ptr<fcm_provider> fcm;
  std::unique_ptr<webpush_provider> webpush;
  std::unique_ptr<apns_provider> apns;
  std::function<void(storage::push_entry)> waker;
  std::function<bool(const std::string&)> leads;  // empty: every shard
  std::function<std::uint32_t(const std::string&)> cluster_badge;
  // Jobs done with, erased from the outbox together (one write for many
  // sends, not one each): within erase_delay of the first, or at
  // erase_batch.
  std::vector<std::pair<std::string, std::uint64_t>> erases;  // under mtx
  clock::time_point erases_due{};
  // Erases taken by the worker and not yet handed to the store (mtx): a
  // release waits for them, so that they go before its barrier.
  std::size_t flushing = 0;
  // Shards this node began to lead, whose outbox is read again when due.
  std::set<std::uint16_t> rescan_shards;  // under mtx
  // Shards let go of (service::release): none of their jobs is sent, and
  // none of their outbox written, here. true while the release is under
  // way (until keep() or gone()); false once gone, until a rescan gains
  // the shard back.
  std::map<std::uint16_t, bool> released;  // under mtx
  // Erases of released shards that the worker held back instead of
  // writing (a write of a shard led elsewhere is refused, and one during
  // its copy would land after it): written by release() and flush(), put
  // back by keep(), dropped by gone(). Under mtx.
  std::map<std::uint16_t, std::vector<std::pair<std::string, std::uint64_t>>>
      held;
  clock::time_point rescan_due{};
  bool started = false;  // under mtx

  // A member's job (user, conv).
  struct entry {
    std::uint64_t seq = 0;
    storage::push_job job;
    std::vector<std::uint64_t> replaced;  // older seqs, erased once settled
    std::set<std::string> delivered;      // devices that took this job
    bool sending = false;
    bool newer = false;      // replaced while its send was on its way
    bool cancelled = false;  // covered by a cursor while on its way
    bool cancelled_by_read = false;
    std::uint32_t attempts = 0;
    clock::time_point next{};
    bool scheduled = false;  // in due_at, at `next`
  };
  // What a member's job had been through when its shard was let go of
  // (release), so that a failed move or transfer (keep) goes on where it
  // was instead of sending it at once to every device again: the job's
  // seq, its attempts and next try, and the devices that took it. By key,
  // under mtx; taken by adopt(), dropped by gone().
  struct parked_job {
    std::uint64_t seq = 0;
    std::uint32_t attempts = 0;
    clock::time_point next{};
    std::set<std::string> delivered;
  };
  std::map<key_t, parked_job> parked;
  // With mtx held: `e` of `k` leaves pending because its shard was let go
  // of; what it had been through is kept (parked), if anything.
  void park(const key_t& k, const entry& e) {
    if (e.attempts == 0 && e.delivered.empty()) return;
    parked[k] = parked_job{e.seq, e.attempts, e.next, e.delivered};
  }
  // With mtx held: drops what is parked of the homes (users) `of` names.
  template <class Of>
  void drop_parked(Of of) {
    for (auto it = parked.begin(); it != parked.end();)
      it = of(it->first.first) ? parked.erase(it) : std::next(it);
  }

  // A conversation's burst, until its actor handed it over.
  struct burst {
    storage::push_entry e;
    clock::time_point due{};
  };

  mutable std::mutex mtx;
  std::condition_variable cv;
  bool stopping = false;
  std::map<key_t, entry> pending;
  std::set<std::pair<clock::time_point, key_t>> due_at;  // not on their way
  std::size_t sending = 0;
  std::map<burst_key, burst> bursts;
  std::set<std::tuple<clock::time_point, std::string, std::uint64_t>>
      bursts_due;
  // Sent, not cleared since: by key, the generation of its entry in
  // pushed_order (the oldest forgotten first; a stale entry is skipped).
  std::map<key_t, std::uint64_t> pushed;
  // The newest message each (user, conversation) job settled for (sent,
  // cancelled, dropped), the oldest forgotten first: a job of a message
  // that is not newer is a hand-over made again (a conversation's retry,
  // an outbox read again), not a new push.
  std::map<key_t, std::uint64_t> settled;
  std::deque<key_t> settled_order;
  std::deque<std::pair<key_t, std::uint64_t>> pushed_order;
  std::uint64_t pushed_gen = 0;
  std::deque<key_t> clears;
  struct answered {
    key_t key;
    results_t results;
  };
  std::deque<answered> done;  // sends answered, for the worker to settle
  std::mt19937_64 rng{std::random_device{}()};
  std::thread worker;

  // --- with mtx held ---
  void unschedule(const key_t& k, entry& e) {
    if (!e.scheduled) return;
    due_at.erase({e.next, k});
    e.scheduled = false;
  }
  void schedule(const key_t& k, entry& e, clock::time_point t) {
    unschedule(k, e);
    e.next = t;
    e.scheduled = true;
    due_at.emplace(t, k);
  }
  // Erases the entry and its jobs (and those it replaced) from the outbox.
  void finish(std::map<key_t, entry>::iterator it) {
    auto& last = settled[it->first];
    if (last == 0) settled_order.push_back(it->first);
    last = std::max(last, it->second.job.msg_id);
    while (settled_order.size() > pushed_max) {
      settled.erase(settled_order.front());
      settled_order.pop_front();
    }
    erase_job(it->first.first, it->second.seq);
    for (auto s : it->second.replaced) erase_job(it->first.first, s);
    unschedule(it->first, it->second);
    pending.erase(it);
    backlog();
  }
  // Whether `j` is one this service has (pending) or had (settled) for its
  // message or a newer one; its outbox entry goes then, unless it is the
  // pending one.
  bool known(const storage::push_entry& j) {
    key_t k{j.job.user_id, j.job.conv_id};
    auto p = pending.find(k);
    if (p != pending.end() && p->second.seq == j.seq) return true;
    auto st = settled.find(k);
    bool old = (p != pending.end() && p->second.job.msg_id >= j.job.msg_id) ||
               (st != settled.end() && st->second >= j.job.msg_id);
    if (old) erase_job(k.first, j.seq);
    return old;
  }
  void remember_pushed(const key_t& k) {
    auto gen = ++pushed_gen;
    pushed[k] = gen;
    pushed_order.emplace_back(k, gen);
    while (pushed.size() > pushed_max || pushed_order.size() > 2 * pushed_max) {
      auto& [old, g] = pushed_order.front();
      if (auto it = pushed.find(old); it != pushed.end() && it->second == g)
        pushed.erase(it);
      pushed_order.pop_front();
    }
  }
  void schedule_burst(burst_key k, burst& b, clock::time_point t) {
    bursts_due.erase({b.due, k.first, k.second});
    b.due = t;
    bursts_due.emplace(t, std::move(k.first), k.second);
  }
  void backlog() {
    m->push_backlog.set(static_cast<std::int64_t>(pending.size()));
  }

  // --- any thread ---
  provider* provider_for(const std::string& platform) {
    if (platform == "gateway") return gateway.get();
    if (platform == "fcm") return fcm.get();
    if (platform == "webpush") return webpush.get();
    if (platform == "apns") return apns.get();
    return nullptr;
  }

  // With mtx held: the job leaves the outbox with the next flush_erases.
  void erase_job(const std::string& home, std::uint64_t seq) {
    if (stopping) return flush_erases({{home, seq}});  // no worker to wait for
    if (erases.empty()) erases_due = clock::now() + erase_delay;
    erases.emplace_back(home, seq);
  }
  // The erases so far, one write per shard (a shard led elsewhere by now
  // refuses only its own), relaxed (an erase lost to a power cut sends its
  // job once more, as a crash may). Without mtx, but for the few after
  // stop.
  void flush_erases(std::vector<std::pair<std::string, std::uint64_t>> e);

  void remove_device(const std::string& user, const std::string& token,
                     const std::string& why);

  // The user's number of conversations with unread messages (blocking
  // store reads: the worker's thread only).
  std::uint32_t badge(const std::string& user);
  std::uint16_t shard_of_home(const std::string& home) const {
    return storage::shard_of(home, store.shards());
  }
  // With mtx held: whether `home`'s shard was let go of (release).
  bool released_home(const std::string& home) const {
    return !released.empty() && released.count(shard_of_home(home));
  }
  // Without mtx: released_home, locked.
  bool released_now(const std::string& home) const {
    std::lock_guard<std::mutex> l(mtx);
    return released_home(home);
  }
  // With mtx held: whether this node sends the jobs of `home`'s shard.
  bool here(const std::string& home) const {
    return !released_home(home) && (!leads || leads(home));
  }
  // With mtx held: the erases of `shard` waiting or held, taken.
  std::vector<std::pair<std::string, std::uint64_t>> take_erases(
      std::uint16_t shard);
  // Whether a send of a job of `shard` is on its way or answered and not
  // settled (mtx held).
  bool sending_of(std::uint16_t shard) const;

  // Takes what the outbox holds of the shards this node leads and does not
  // know yet: a burst's grace runs from its first message, a member's job
  // is sent now.
  void adopt(std::vector<storage::push_entry> jobs,
             const std::set<std::uint16_t>* only = nullptr);

  // Sends `n` to every device of `user` with a provider but those in
  // `skip`; `then` gets the outcomes (on an HTTP thread, or here when
  // nothing was sent).
  void send_all(const std::string& user, const notification& n,
                const std::set<std::string>& skip,
                std::function<void(results_t)> then);

  // On the worker, after the sends of `a` were answered.
  void settle(answered a);

  void send_clear(const key_t& k);

  void send_job(const key_t& k, const entry& e);

  void run();
};

}  // namespace switchboard::push
