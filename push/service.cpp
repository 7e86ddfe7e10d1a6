#include "push/service.hpp"

#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <tuple>

#include "metrics/metrics.hpp"
#include "push/apns_provider.hpp"
#include "push/backoff.hpp"
#include "push/fcm_provider.hpp"
#include "push/gateway_provider.hpp"
#include "push/webpush_provider.hpp"
#include "storage/shard.hpp"
#include "storage/store.hpp"

namespace switchboard::push {

namespace {

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

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

struct service::impl {
  impl(storage::store& s, service_options opts, metrics::log_sink l,
       metrics::node_metrics* mm)
      : store(s), o(std::move(opts)), log(std::move(l)), m(mm) {}
  storage::store& store;
  service_options o;
  metrics::log_sink log;
  metrics::node_metrics* m;
  std::shared_ptr<http_client> http;
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
  // Shards this node began to lead, whose outbox is read again when due.
  std::set<std::uint16_t> rescan_shards;  // under mtx
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
  // The erases so far in one write (without mtx, but for the few after
  // stop), relaxed (an erase lost to
  // a power cut sends its job once more, as a crash may).
  void flush_erases(std::vector<std::pair<std::string, std::uint64_t>> e) {
    if (e.empty()) return;
    storage::batch b;
    for (auto& [home, seq] : e) b.erase_push_job(home, seq);
    b.relax_durability();
    store.commit(
        std::move(b), [log = log, n = e.size()](const storage::status& s) {
          if (!s)
            metrics::emit(
                log, "warn", "push_job_not_erased",
                {{"jobs", std::to_string(n)}, {"error", s.err().message}});
        });
  }

  void remove_device(const std::string& user, const std::string& token,
                     const std::string& why) {
    m->push_removed.inc();
    metrics::emit(log, "info", "push_device_removed",
                  {{"user_id", user}, {"reason", why}});
    storage::batch b;
    b.erase_device(user, token);
    store.commit(std::move(b), [log = log, user](const storage::status& s) {
      if (!s)
        metrics::emit(log, "warn", "push_device_not_removed",
                      {{"user_id", user}, {"error", s.err().message}});
    });
  }

  // The user's number of conversations with unread messages (blocking
  // store reads: the worker's thread only).
  std::uint32_t badge(const std::string& user) {
    if (cluster_badge) return cluster_badge(user);
    auto convs = store.inbox(user);
    if (!convs) return 0;
    if (convs->size() > badge_scan_max) convs->resize(badge_scan_max);
    auto n = store.unread_among(user, *convs);
    return n ? *n : 0;
  }
  bool here(const std::string& home) const { return !leads || leads(home); }

  // Takes what the outbox holds of the shards this node leads and does not
  // know yet: a burst's grace runs from its first message, a member's job
  // is sent now.
  void adopt(std::vector<storage::push_entry> jobs,
             const std::set<std::uint16_t>* only = nullptr) {
    auto wanted = [&](const std::string& home) {
      return here(home) &&
             (!only || only->count(storage::shard_of(home, store.shards())));
    };
    for (auto& j : jobs) {
      if (j.job.user_id.empty()) {
        if (!wanted(j.job.conv_id)) continue;
        burst_key k{j.job.conv_id, j.seq};
        auto [it, fresh] = bursts.try_emplace(k);
        if (!fresh) continue;
        it->second.e = j;
        auto left = j.job.created_ms + o.grace.count() - wall_ms();
        schedule_burst(k, it->second,
                       clock::now() + std::chrono::milliseconds(
                                          std::max<std::int64_t>(0, left)));
        continue;
      }
      if (!wanted(j.job.user_id) || known(j)) continue;
      key_t k{j.job.user_id, j.job.conv_id};
      auto [it, fresh] = pending.try_emplace(k);
      auto& e = it->second;
      if (!fresh) {
        // Two of one user and conversation (a crash between a write and
        // an erase): the newer message stays (known() kept this one).
        if (e.sending) {
          e.replaced.push_back(e.seq);
          e.newer = true;
        } else {
          erase_job(k.first, e.seq);
        }
      }
      e.seq = j.seq;
      e.job = std::move(j.job);
      e.delivered.clear();
      if (!e.sending) schedule(k, e, clock::now());
    }
    backlog();
  }

  // Sends `n` to every device of `user` with a provider but those in
  // `skip`; `then` gets the outcomes (on an HTTP thread, or here when
  // nothing was sent).
  void send_all(const std::string& user, const notification& n,
                const std::set<std::string>& skip,
                std::function<void(results_t)> then) {
    auto devices = store.devices(user);
    if (!devices) {
      outcome o;
      o.what = outcome::kind::retry;
      o.reason = "store";
      return then({{"", o}});
    }
    struct gather {
      std::mutex m;
      std::size_t left = 0;
      results_t results;
      std::function<void(results_t)> then;
      clock::time_point start = clock::now();
    };
    auto g = std::make_shared<gather>();
    g->then = std::move(then);
    std::vector<std::pair<provider*, target>> sends;
    for (auto& d : *devices) {
      if (skip.count(d.token)) continue;
      auto* p = provider_for(d.platform);
      if (!p) {
        m->push_off.inc();
        continue;
      }
      sends.emplace_back(p, target{d.platform, d.token, d.registered_ms});
    }
    if (sends.empty()) return g->then({});
    g->left = sends.size();
    for (auto& [p, t] : sends)
      p->send(t, n, [this, g, token = t.token, name = p->name()](outcome o) {
        o.provider = name;
        m->push_send(name, static_cast<std::size_t>(o.what));
        if (o.what != outcome::kind::sent) m->push_failure(name, o.reason);
        m->push_send_seconds.observe(
            std::chrono::duration<double>(clock::now() - g->start).count());
        std::unique_lock<std::mutex> l(g->m);
        g->results.emplace_back(token, std::move(o));
        if (--g->left > 0) return;
        auto results = std::move(g->results);
        l.unlock();
        g->then(std::move(results));
      });
  }

  // On the worker, after the sends of `a` were answered.
  void settle(answered a) {
    bool retry = false, delivered = false;
    std::chrono::milliseconds after{0};
    std::vector<std::string> took;  // devices done with this job
    for (auto& [token, o] : a.results) {
      switch (o.what) {
        case outcome::kind::sent:
          m->push_sent.inc();
          delivered = true;
          took.push_back(token);
          break;
        case outcome::kind::gone:
          remove_device(a.key.first, token, o.reason);
          took.push_back(token);
          break;
        case outcome::kind::failed:
          m->push_failed.inc();
          metrics::emit(log, "warn", "push_failed",
                        {{"user_id", a.key.first}, {"reason", o.reason}});
          took.push_back(token);
          break;
        case outcome::kind::retry:
          retry = true;
          after = std::max(after, o.retry_after);
          metrics::emit(log, "debug", "push_retry",
                        {{"user_id", a.key.first}, {"reason", o.reason}});
          break;
      }
    }
    std::lock_guard<std::mutex> l(mtx);
    --sending;
    auto it = pending.find(a.key);
    if (it == pending.end()) return;
    auto& e = it->second;
    e.sending = false;
    e.delivered.insert(took.begin(), took.end());
    if (delivered) remember_pushed(a.key);
    // The jobs it replaced are older than one durable already.
    for (auto s : e.replaced) erase_job(a.key.first, s);
    e.replaced.clear();
    if (e.cancelled) {
      if (e.cancelled_by_read && pushed.count(a.key)) {
        pushed.erase(a.key);
        clears.push_back(a.key);
      }
      finish(it);
    } else if (e.newer) {
      // The newest, at once, to every device.
      e.newer = false;
      e.delivered.clear();
      schedule(a.key, e, clock::now());
    } else if (retry) {
      // The devices that took it are not sent it again.
      m->push_retried.inc();
      ++e.attempts;
      std::uniform_real_distribution<double> unit(0, 1);
      schedule(
          a.key, e,
          clock::now() + std::max(after, backoff_delay(e.attempts, retry_base,
                                                       retry_cap, unit(rng))));
    } else {
      finish(it);
    }
  }

  void send_clear(const key_t& k) {
    notification n;
    n.user_id = k.first;
    n.conv_id = k.second;
    n.clear = true;
    n.badge = badge(k.first);
    // Best effort: a clear that does not arrive is corrected by the next
    // push's badge.
    send_all(k.first, n, {}, [this, user = k.first](results_t results) {
      for (auto& [token, o] : results)
        if (o.what == outcome::kind::gone) remove_device(user, token, o.reason);
    });
  }

  void send_job(const key_t& k, const entry& e) {
    notification n;
    n.user_id = e.job.user_id;
    n.conv_id = e.job.conv_id;
    n.msg_id = e.job.msg_id;
    n.sender = e.job.sender;
    n.preview = e.job.preview;
    n.badge = badge(e.job.user_id);
    send_all(e.job.user_id, n, e.delivered, [this, k](results_t results) {
      {
        std::lock_guard<std::mutex> g(mtx);
        done.push_back(answered{k, std::move(results)});
      }
      cv.notify_all();
    });
  }

  void run() {
    std::unique_lock<std::mutex> l(mtx);
    while (!stopping) {
      auto now = clock::now();
      if (!done.empty()) {
        auto a = std::move(done.front());
        done.pop_front();
        l.unlock();
        settle(std::move(a));
        l.lock();
        continue;
      }
      if (!erases.empty() &&
          (erases_due <= now || erases.size() >= erase_batch)) {
        auto e = std::move(erases);
        erases.clear();
        l.unlock();
        flush_erases(std::move(e));
        l.lock();
        continue;
      }
      if (!rescan_shards.empty() && rescan_due <= now) {
        auto shards = std::move(rescan_shards);
        rescan_shards.clear();
        l.unlock();
        auto jobs = store.push_jobs(1000000);
        l.lock();
        if (!jobs) {
          // Read again in a second: those shards' jobs wait for it.
          metrics::emit(log, "error", "push_outbox_not_read",
                        {{"error", jobs.err().message}});
          rescan_shards.insert(shards.begin(), shards.end());
          rescan_due = now + std::chrono::seconds(1);
        } else {
          adopt(std::move(*jobs), &shards);
        }
        continue;
      }
      if (!clears.empty()) {
        auto k = std::move(clears.front());
        clears.pop_front();
        l.unlock();
        send_clear(k);
        l.lock();
        continue;
      }
      if (!bursts_due.empty() && std::get<0>(*bursts_due.begin()) <= now) {
        burst_key k{std::get<1>(*bursts_due.begin()),
                    std::get<2>(*bursts_due.begin())};
        auto& b = bursts.at(k);
        if (!here(k.first)) {
          // Its shard's leader is another node now: its burst.
          bursts_due.erase({b.due, k.first, k.second});
          bursts.erase(k);
          continue;
        }
        if (wall_ms() - b.e.job.created_ms > o.max_age.count()) {
          // Never handed over (its members' nodes kept refusing): dropped,
          // as an old member's job is.
          m->push_expired.inc();
          metrics::emit(log, "warn", "push_expired", {{"conv_id", k.first}});
          erase_job(k.first, k.second);
          bursts_due.erase({b.due, k.first, k.second});
          bursts.erase(k);
          continue;
        }
        // Woken again later unless its conversation hands it over first.
        schedule_burst(k, b, now + burst_rewake);
        auto e = b.e;
        auto wake = waker;
        l.unlock();
        if (wake) wake(std::move(e));
        l.lock();
        continue;
      }
      if (sending < sends_max && !due_at.empty() &&
          due_at.begin()->first <= now) {
        auto k = due_at.begin()->second;
        auto& e = pending.at(k);
        unschedule(k, e);
        if (!here(k.first)) {
          // The user's shard is led by another node now: its job (still in
          // the outbox, which moved with the shard).
          pending.erase(k);
          backlog();
          continue;
        }
        if (wall_ms() - e.job.created_ms > o.max_age.count()) {
          m->push_expired.inc();
          metrics::emit(log, "warn", "push_expired",
                        {{"user_id", k.first}, {"conv_id", k.second}});
          finish(pending.find(k));
          continue;
        }
        e.sending = true;
        ++sending;
        auto copy = e;
        l.unlock();
        send_job(k, copy);
        l.lock();
        continue;
      }
      auto wake_at = clock::time_point::max();
      if (!rescan_shards.empty()) wake_at = rescan_due;
      if (!erases.empty()) wake_at = std::min(wake_at, erases_due);
      if (!bursts_due.empty())
        wake_at = std::min(wake_at, std::get<0>(*bursts_due.begin()));
      if (sending < sends_max && !due_at.empty())
        wake_at = std::min(wake_at, due_at.begin()->first);
      if (wake_at == clock::time_point::max())
        cv.wait(l);
      else
        cv.wait_until(l, wake_at);
    }
  }
};

service::service(storage::store& store, service_options o,
                 metrics::log_sink log, metrics::node_metrics* m)
    : impl_(std::make_unique<impl>(store, std::move(o), std::move(log), m)) {
  auto& p = *impl_;
  // No provider, no client (and no thread of its own): every node makes a
  // service, most configure none.
  if (p.o.gateway_url.empty() && p.o.fcm_credentials.empty() &&
      p.o.webpush_vapid_key.empty() && p.o.apns_key.empty())
    return;
  p.http = std::make_shared<http_client>(64 * 1024, p.o.ca_file);
  if (!p.o.gateway_url.empty())
    p.gateway = std::make_unique<gateway_provider>(p.http, p.o.gateway_url,
                                                   p.o.gateway_app_id);
  if (!p.o.fcm_credentials.empty())
    p.fcm = std::make_unique<fcm_provider>(p.http, p.o.fcm_credentials,
                                           p.o.fcm_url, p.log);
  if (!p.o.webpush_vapid_key.empty())
    p.webpush = std::make_unique<webpush_provider>(
        p.http, p.o.webpush_vapid_key, p.o.webpush_subject);
  if (!p.o.apns_key.empty())
    p.apns = std::make_unique<apns_provider>(
        p.http, apns_options{p.o.apns_key, p.o.apns_key_id, p.o.apns_team_id,
                             p.o.apns_topic, p.o.apns_url});
}

service::~service() { stop(); }

void service::stop() {
  {
    std::lock_guard<std::mutex> l(impl_->mtx);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  if (impl_->worker.joinable()) impl_->worker.join();
  {
    std::vector<std::pair<std::string, std::uint64_t>> left;
    {
      std::lock_guard<std::mutex> l(impl_->mtx);
      left.swap(impl_->erases);
    }
    impl_->flush_erases(std::move(left));
  }
  // The HTTP client goes now, while the rest is here: it fails the sends in
  // flight, whose callbacks still run; their jobs stay in the outbox.
  // Its thread stops here, failing what is in flight (their callbacks run
  // while the rest is here); then nothing holds it but this.
  if (impl_->http) impl_->http->shutdown();
  impl_->gateway.reset();
  impl_->fcm.reset();
  impl_->webpush.reset();
  impl_->apns.reset();
  impl_->http.reset();
}

bool service::enabled() const {
  return impl_->gateway || impl_->fcm || impl_->webpush || impl_->apns;
}

std::chrono::milliseconds service::grace() const { return impl_->o.grace; }

std::string service::preview(const std::string& body) const {
  if (!impl_->o.preview) return {};
  if (body.size() <= preview_max) return body;
  auto n = preview_max;
  // Not inside a character: back to the byte that starts one.
  while (n > 0 && (static_cast<unsigned char>(body[n]) & 0xC0) == 0x80) --n;
  return body.substr(0, n);
}

std::vector<std::string> service::providers_off() const {
  std::vector<std::string> off;
  if (!impl_->apns) off.push_back("apns");
  if (!impl_->fcm) off.push_back("fcm");
  if (!impl_->webpush) off.push_back("webpush");
  if (!impl_->gateway) off.push_back("gateway");
  return off;
}

std::string service::webpush_key() const {
  return impl_->webpush ? impl_->webpush->public_key() : std::string();
}

void service::start(std::function<void(storage::push_entry)> waker) {
  auto jobs = impl_->store.push_jobs(1000000);
  if (!jobs)
    metrics::emit(impl_->log, "error", "push_outbox_not_read",
                  {{"error", jobs.err().message}});
  {
    std::lock_guard<std::mutex> l(impl_->mtx);
    impl_->waker = std::move(waker);
    if (jobs) impl_->adopt(std::move(*jobs));
    impl_->started = true;
  }
  impl_->worker = std::thread([p = impl_.get()] { p->run(); });
}

void service::set_cluster(
    std::function<bool(const std::string&)> leads,
    std::function<std::uint32_t(const std::string&)> badge) {
  std::lock_guard<std::mutex> l(impl_->mtx);
  impl_->leads = std::move(leads);
  impl_->cluster_badge = std::move(badge);
}

void service::rescan(const std::vector<std::uint16_t>& shards) {
  {
    std::lock_guard<std::mutex> l(impl_->mtx);
    if (!impl_->started) return;  // start() reads the whole outbox
    impl_->rescan_shards.insert(shards.begin(), shards.end());
    impl_->rescan_due = clock::now();
  }
  impl_->cv.notify_all();
}

void service::burst(const std::string& conv, const storage::push_entry& e) {
  {
    std::lock_guard<std::mutex> l(impl_->mtx);
    if (impl_->stopping) return;
    burst_key k{conv, e.seq};
    auto [it, fresh] = impl_->bursts.try_emplace(k);
    it->second.e = e;
    if (!fresh) return;  // a later message of it: its grace runs already
    auto left = e.job.created_ms + impl_->o.grace.count() - wall_ms();
    impl_->schedule_burst(k, it->second,
                          clock::now() + std::chrono::milliseconds(
                                             std::max<std::int64_t>(0, left)));
  }
  impl_->cv.notify_all();
}

void service::burst_done(const std::string& conv, std::uint64_t seq) {
  std::lock_guard<std::mutex> l(impl_->mtx);
  auto it = impl_->bursts.find({conv, seq});
  if (it == impl_->bursts.end()) return;
  impl_->bursts_due.erase({it->second.due, conv, seq});
  impl_->bursts.erase(it);
  impl_->m->push_bursts.inc();
}

std::uint64_t service::next_seq() { return impl_->store.next_push_seq(); }

void service::handed(const std::vector<storage::push_entry>& jobs) {
  {
    std::lock_guard<std::mutex> l(impl_->mtx);
    for (auto& j : jobs) {
      if (impl_->known(j)) continue;
      impl_->m->push_created.inc();
      key_t k{j.job.user_id, j.job.conv_id};
      auto [it, fresh] = impl_->pending.try_emplace(k);
      auto& e = it->second;
      if (!fresh && e.seq != j.seq) {
        impl_->m->push_collapsed.inc();
        // The job it replaces goes once nothing sends it: now, or when its
        // send is settled.
        if (e.sending)
          e.replaced.push_back(e.seq);
        else
          impl_->erase_job(k.first, e.seq);
      }
      e.seq = j.seq;
      e.job = j.job;
      e.cancelled = false;
      e.cancelled_by_read = false;
      if (e.sending) {
        e.newer = true;
      } else {
        e.delivered.clear();
        impl_->schedule(k, e, clock::now());
      }
    }
    impl_->backlog();
  }
  impl_->cv.notify_all();
}

void service::cursor(const std::string& user, const std::string& conv,
                     std::uint64_t upto, bool read) {
  {
    std::lock_guard<std::mutex> l(impl_->mtx);
    key_t k{user, conv};
    if (auto it = impl_->pending.find(k);
        it != impl_->pending.end() && it->second.job.msg_id <= upto) {
      impl_->m->push_cancelled.inc();
      if (it->second.sending) {
        it->second.cancelled = true;
        it->second.cancelled_by_read = it->second.cancelled_by_read || read;
      } else {
        impl_->finish(it);
      }
    }
    if (!read || !impl_->pushed.erase(k)) return;
    impl_->clears.push_back(std::move(k));
  }
  impl_->cv.notify_all();
}

std::size_t service::pending_for(const std::string& user) const {
  std::lock_guard<std::mutex> l(impl_->mtx);
  std::size_t n = 0;
  for (auto it = impl_->pending.lower_bound({user, std::string()});
       it != impl_->pending.end() && it->first.first == user; ++it)
    ++n;
  return n;
}

std::string token_hint(const std::string& token) {
  return token.size() <= 6 ? token : "..." + token.substr(token.size() - 6);
}

std::vector<std::pair<std::string, std::string>> service::test(
    const std::string& user, std::chrono::milliseconds timeout) {
  std::vector<std::pair<std::string, std::string>> out;
  auto hint = token_hint;
  auto devices = impl_->store.devices(user);
  if (!devices) return {{"", "failed: " + devices.err().message}};
  for (auto& d : *devices)
    if (!impl_->provider_for(d.platform))
      out.emplace_back(hint(d.token), "provider off");
  notification n;
  n.user_id = user;
  n.conv_id = "switchboard-test";
  n.sender = "switchboard";
  n.badge = impl_->badge(user);
  auto p = std::make_shared<std::promise<results_t>>();
  auto f = p->get_future();
  impl_->send_all(user, n, {},
                  [p](results_t r) { p->set_value(std::move(r)); });
  if (f.wait_for(timeout) != std::future_status::ready) {
    out.emplace_back("", "no answer in time");
    return out;
  }
  for (auto& [token, o] : f.get()) {
    std::string what;
    switch (o.what) {
      case outcome::kind::sent:
        what = "sent";
        break;
      case outcome::kind::gone:
        impl_->remove_device(user, token, o.reason);
        what = "gone (removed)";
        break;
      case outcome::kind::failed:
        what = "failed: " + o.reason;
        break;
      case outcome::kind::retry:
        what = "retry: " + o.reason;
        break;
    }
    out.emplace_back(hint(token), what);
  }
  return out;
}

}  // namespace switchboard::push
