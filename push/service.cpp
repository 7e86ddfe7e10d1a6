#include "push/service.hpp"

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "metrics/metrics.hpp"
#include "push/backoff.hpp"
#include "push/gateway_provider.hpp"
#include "storage/store.hpp"

namespace switchboard::push {

namespace {

using clock = std::chrono::steady_clock;
using key_t = std::pair<std::string, std::string>;  // user, conv
using namespace std::chrono_literals;

// Retries of a send the provider refused for now.
constexpr auto retry_base = 500ms;
constexpr auto retry_cap = std::chrono::milliseconds(5 * 60 * 1000);
// A badge counts at most this many conversations (it shows "999+" then).
constexpr std::size_t badge_scan_max = 1000;
// Conversations remembered as pushed (for the clear on read), per node.
constexpr std::size_t pushed_max = 100000;

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

  struct entry {
    std::uint64_t seq = 0;
    storage::push_job job;
    bool sending = false;
    bool newer = false;      // replaced while its send was on its way
    bool cancelled = false;  // covered by a cursor while on its way
    std::uint32_t attempts = 0;
    clock::time_point next{};
    bool scheduled = false;  // in due_at, at `next`
  };
  mutable std::mutex mtx;
  std::condition_variable cv;
  bool stopping = false;
  std::map<key_t, entry> pending;
  // The entries waiting to be sent, by when (not those on their way).
  std::set<std::pair<clock::time_point, key_t>> due_at;

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
  void drop(std::map<key_t, entry>::iterator it) {
    unschedule(it->first, it->second);
    pending.erase(it);
  }
  std::set<key_t> pushed;  // sent, not cleared since
  std::deque<key_t> clears;
  // Sends answered, for the worker to settle.
  struct answered {
    key_t key;
    std::vector<std::pair<std::string, outcome>> results;  // token, outcome
  };
  std::deque<answered> done;
  std::mt19937_64 rng{std::random_device{}()};
  std::thread worker;

  provider* provider_for(const std::string& platform) {
    if (platform == "gateway") return gateway.get();
    return nullptr;
  }

  void backlog() {
    m->push_backlog.set(static_cast<std::int64_t>(pending.size()));
  }

  void erase_job(const std::string& user, std::uint64_t seq) {
    storage::batch b;
    b.erase_push_job(user, seq);
    store.commit(std::move(b), [this, user](const storage::status& s) {
      if (!s)
        metrics::emit(log, "warn", "push_job_not_erased",
                      {{"user_id", user}, {"error", s.err().message}});
    });
  }

  // The user's number of conversations with unread messages.
  std::uint32_t badge(const std::string& user) {
    auto convs = store.inbox(user);
    if (!convs) return 0;
    std::uint32_t n = 0;
    std::size_t seen = 0;
    for (auto& c : *convs) {
      if (++seen > badge_scan_max) break;
      auto last = store.last_msg_id(c);
      auto me = store.member(c, user);
      if (last && me && *me && (*me)->read_upto < *last) ++n;
    }
    return n;
  }

  // Sends `n` to every device of `user` that has a provider; `then` gets
  // the outcomes (on an HTTP thread; none when nothing was sent).
  void send_all(
      const std::string& user, const notification& n,
      std::function<void(std::vector<std::pair<std::string, outcome>>)> then) {
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
      std::vector<std::pair<std::string, outcome>> results;
      std::function<void(std::vector<std::pair<std::string, outcome>>)> then;
      clock::time_point start = clock::now();
    };
    auto g = std::make_shared<gather>();
    g->then = std::move(then);
    std::vector<std::pair<provider*, target>> sends;
    for (auto& d : *devices) {
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
      p->send(t, n, [this, g, token = t.token](outcome o) {
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

  void remove_device(const std::string& user, const std::string& token,
                     const std::string& why) {
    m->push_removed.inc();
    metrics::emit(log, "info", "push_device_removed",
                  {{"user_id", user}, {"reason", why}});
    storage::batch b;
    b.erase_device(user, token);
    store.commit(std::move(b), [this, user](const storage::status& s) {
      if (!s)
        metrics::emit(log, "warn", "push_device_not_removed",
                      {{"user_id", user}, {"error", s.err().message}});
    });
  }

  // On the worker, after the sends of `a` were answered.
  void settle(answered a) {
    bool retry = false;
    std::chrono::milliseconds after{0};
    for (auto& [token, o] : a.results) {
      switch (o.what) {
        case outcome::kind::sent:
          m->push_sent.inc();
          break;
        case outcome::kind::gone:
          remove_device(a.key.first, token, o.reason);
          break;
        case outcome::kind::failed:
          m->push_failed.inc();
          metrics::emit(log, "warn", "push_failed",
                        {{"user_id", a.key.first}, {"reason", o.reason}});
          break;
        case outcome::kind::retry:
          retry = true;
          after = std::max(after, o.retry_after);
          metrics::emit(log, "debug", "push_retry",
                        {{"user_id", a.key.first}, {"reason", o.reason}});
          break;
      }
    }
    std::unique_lock<std::mutex> l(mtx);
    auto it = pending.find(a.key);
    if (it == pending.end()) return;
    auto& e = it->second;
    e.sending = false;
    if (e.cancelled) {
      erase_job(a.key.first, e.seq);
      drop(it);
    } else if (retry) {
      // Every device again (a provider that took it collapses a repeat by
      // its collapse key); the newest job if one replaced it.
      m->push_retried.inc();
      ++e.attempts;
      std::uniform_real_distribution<double> unit(0, 1);
      schedule(
          a.key, e,
          clock::now() + std::max(after, backoff_delay(e.attempts, retry_base,
                                                       retry_cap, unit(rng))));
      e.newer = false;
    } else if (e.newer) {
      e.newer = false;
      schedule(a.key, e, clock::now());  // the newest, at once
    } else {
      erase_job(a.key.first, e.seq);
      drop(it);
      if (pushed.size() < pushed_max) pushed.insert(a.key);
    }
    backlog();
  }

  void run() {
    std::unique_lock<std::mutex> l(mtx);
    while (!stopping) {
      if (!done.empty()) {
        auto a = std::move(done.front());
        done.pop_front();
        l.unlock();
        settle(std::move(a));
        l.lock();
        continue;
      }
      if (!clears.empty()) {
        auto k = std::move(clears.front());
        clears.pop_front();
        l.unlock();
        notification n;
        n.user_id = k.first;
        n.conv_id = k.second;
        n.clear = true;
        n.badge = badge(k.first);
        send_all(k.first, n, [this, user = k.first](auto results) {
          for (auto& [token, o] : results)
            if (o.what == outcome::kind::gone)
              remove_device(user, token, o.reason);
        });
        l.lock();
        continue;
      }
      if (due_at.empty() || due_at.begin()->first > clock::now()) {
        if (due_at.empty())
          cv.wait(l);
        else
          cv.wait_until(l, due_at.begin()->first);
        continue;
      }
      auto due_key = due_at.begin()->second;
      auto* due = &pending.at(due_key);
      unschedule(due_key, *due);
      due->sending = true;
      auto job = due->job;
      auto seq = due->seq;
      l.unlock();
      if (wall_ms() - job.created_ms > o.max_age.count()) {
        m->push_expired.inc();
        metrics::emit(log, "warn", "push_expired",
                      {{"user_id", job.user_id}, {"conv_id", job.conv_id}});
        erase_job(job.user_id, seq);
        l.lock();
        drop(pending.find(due_key));
        backlog();
        continue;
      }
      notification n;
      n.user_id = job.user_id;
      n.conv_id = job.conv_id;
      n.msg_id = job.msg_id;
      n.sender = job.sender;
      n.preview = job.preview;
      n.badge = badge(job.user_id);
      send_all(job.user_id, n, [this, due_key](auto results) {
        {
          std::lock_guard<std::mutex> g(mtx);
          done.push_back(answered{due_key, std::move(results)});
        }
        cv.notify_all();
      });
      l.lock();
    }
  }
};

service::service(storage::store& store, service_options o,
                 metrics::log_sink log, metrics::node_metrics* m)
    : impl_(std::make_unique<impl>(store, std::move(o), std::move(log), m)) {
  auto& p = *impl_;
  p.http = std::make_shared<http_client>();
  if (!p.o.gateway_url.empty())
    p.gateway = std::make_unique<gateway_provider>(p.http, p.o.gateway_url,
                                                   p.o.gateway_app_id);
  p.worker = std::thread([&p] { p.run(); });
}

service::~service() {
  {
    std::lock_guard<std::mutex> l(impl_->mtx);
    impl_->stopping = true;
  }
  impl_->cv.notify_all();
  impl_->worker.join();
  // The HTTP client goes with the impl: sends in flight fail, and their
  // jobs stay in the outbox for the next start.
  impl_->http.reset();
}

bool service::enabled() const { return impl_->gateway != nullptr; }

std::chrono::milliseconds service::grace() const { return impl_->o.grace; }

std::vector<std::string> service::providers_off() const {
  std::vector<std::string> off{"fcm", "apns", "webpush"};
  if (!impl_->gateway) off.push_back("gateway");
  return off;
}

std::vector<storage::push_entry> service::start() {
  std::vector<storage::push_entry> bursts;
  auto jobs = impl_->store.push_jobs(1000000);
  if (!jobs) {
    metrics::emit(impl_->log, "error", "push_outbox_not_read",
                  {{"error", jobs.err().message}});
    return bursts;
  }
  std::lock_guard<std::mutex> l(impl_->mtx);
  for (auto& j : *jobs) {
    if (j.job.user_id.empty()) {
      bursts.push_back(std::move(j));
      continue;
    }
    key_t k{j.job.user_id, j.job.conv_id};
    auto& e = impl_->pending[k];
    if (e.seq != 0 && e.seq > j.seq) {
      impl_->erase_job(j.job.user_id, j.seq);  // an older one: collapsed
      continue;
    }
    if (e.seq != 0) impl_->erase_job(e.job.user_id, e.seq);
    e.seq = j.seq;
    e.job = std::move(j.job);
    impl_->schedule(k, e, clock::now());
  }
  impl_->backlog();
  impl_->cv.notify_all();
  return bursts;
}

std::uint64_t service::slot(const std::string& user, const std::string& conv) {
  std::lock_guard<std::mutex> l(impl_->mtx);
  auto it = impl_->pending.find({user, conv});
  if (it != impl_->pending.end()) {
    impl_->m->push_collapsed.inc();
    return it->second.seq;
  }
  return impl_->store.next_push_seq();
}

void service::handed(const std::vector<storage::push_entry>& jobs) {
  {
    std::lock_guard<std::mutex> l(impl_->mtx);
    for (auto& j : jobs) {
      impl_->m->push_created.inc();
      key_t k{j.job.user_id, j.job.conv_id};
      auto& e = impl_->pending[k];
      e.seq = j.seq;
      e.job = j.job;
      e.cancelled = false;
      if (e.sending)
        e.newer = true;
      else
        impl_->schedule(k, e, clock::now());
    }
    impl_->backlog();
  }
  impl_->cv.notify_all();
}

void service::cursor(const std::string& user, const std::string& conv,
                     std::uint64_t upto) {
  std::lock_guard<std::mutex> l(impl_->mtx);
  key_t k{user, conv};
  if (auto it = impl_->pending.find(k);
      it != impl_->pending.end() && it->second.job.msg_id <= upto) {
    impl_->m->push_cancelled.inc();
    if (it->second.sending) {
      it->second.cancelled = true;
    } else {
      impl_->erase_job(user, it->second.seq);
      impl_->drop(it);
    }
    impl_->backlog();
  }
}

void service::read(const std::string& user, const std::string& conv) {
  {
    std::lock_guard<std::mutex> l(impl_->mtx);
    key_t k{user, conv};
    if (!impl_->pushed.erase(k)) return;
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

}  // namespace switchboard::push
