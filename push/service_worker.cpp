#include <algorithm>
#include <iterator>
#include <map>

#include "metrics/metrics.hpp"
#include "push/backoff.hpp"
#include "push/service_impl.hpp"
#include "storage/shard.hpp"

// The push service's worker (service_impl.hpp): the outbox read and taken,
// sends to every device, their answers settled, erases written together,
// and the loop that runs them on the service's thread.
namespace switchboard::push {

void service::impl::flush_erases(
    std::vector<std::pair<std::string, std::uint64_t>> e) {
  std::map<std::uint16_t, storage::batch> by_shard;
  std::map<std::uint16_t, std::size_t> counts;
  for (auto& [home, seq] : e) {
    auto n = shard_of_home(home);
    by_shard[n].erase_push_job(home, seq);
    ++counts[n];
  }
  for (auto& [n, b] : by_shard) {
    b.relax_durability();
    store.commit(std::move(b), [log = log, n = n,
                                jobs = counts[n]](const storage::status& s) {
      if (!s)
        metrics::emit(log, "warn", "push_job_not_erased",
                      {{"jobs", std::to_string(jobs)},
                       {"shard", std::to_string(n)},
                       {"error", s.err().message}});
    });
  }
}

std::vector<std::pair<std::string, std::uint64_t>> service::impl::take_erases(
    std::uint16_t shard) {
  std::vector<std::pair<std::string, std::uint64_t>> mine;
  if (auto h = held.find(shard); h != held.end()) {
    mine = std::move(h->second);
    held.erase(h);
  }
  auto others = std::stable_partition(
      erases.begin(), erases.end(),
      [&](const auto& x) { return shard_of_home(x.first) != shard; });
  mine.insert(mine.end(), std::make_move_iterator(others),
              std::make_move_iterator(erases.end()));
  erases.erase(others, erases.end());
  return mine;
}

void service::impl::remove_device(const std::string& user,
                                  const std::string& token,
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

std::uint32_t service::impl::badge(const std::string& user) {
  if (cluster_badge) return cluster_badge(user);
  auto convs = store.inbox(user);
  if (!convs) return 0;
  if (convs->size() > badge_scan_max) convs->resize(badge_scan_max);
  auto n = store.unread_among(user, *convs);
  return n ? *n : 0;
}

void service::impl::adopt(std::vector<storage::push_entry> jobs,
                          const std::set<std::uint16_t>* only) {
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
      auto left = j.job.created_ms + o.grace.count() - common::unix_ms();
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
    e.cancelled = false;
    e.cancelled_by_read = false;
    auto at = clock::now();
    if (auto p = parked.find(k); p != parked.end()) {
      // Back after a release that was undone (keep): its retries go on
      // where they were, and the devices that took it are not sent it
      // again. A newer job of the key starts afresh.
      if (p->second.seq == e.seq) {
        e.attempts = p->second.attempts;
        e.delivered = std::move(p->second.delivered);
        at = std::max(at, p->second.next);
      }
      parked.erase(p);
    }
    if (!e.sending) schedule(k, e, at);
  }
  // What was parked of the shards read and is not in their outbox any
  // more was settled elsewhere meanwhile.
  drop_parked(wanted);
  backlog();
}

void service::impl::send_all(const std::string& user, const notification& n,
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

void service::impl::settle(answered a) {
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
        // Not of a shard let go of: its new leader hears "gone" too.
        if (!released_now(a.key.first))
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

void service::impl::send_clear(const key_t& k) {
  notification n;
  n.user_id = k.first;
  n.conv_id = k.second;
  n.clear = true;
  n.badge = badge(k.first);
  // Best effort: a clear that does not arrive is corrected by the next
  // push's badge.
  send_all(k.first, n, {}, [this, user = k.first](results_t results) {
    for (auto& [token, o] : results)
      if (o.what == outcome::kind::gone && !released_now(user))
        remove_device(user, token, o.reason);
  });
}

void service::impl::send_job(const key_t& k, const entry& e) {
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

void service::impl::run() {
  std::unique_lock<std::mutex> l(mtx);
  while (!stopping) {
    auto now = clock::now();
    if (!done.empty()) {
      auto a = std::move(done.front());
      done.pop_front();
      l.unlock();
      settle(std::move(a));
      l.lock();
      cv.notify_all();  // a release may wait for this shard's sends
      continue;
    }
    if (!erases.empty() &&
        (erases_due <= now || erases.size() >= erase_batch)) {
      auto e = std::move(erases);
      erases.clear();
      if (!released.empty()) {
        auto kept = std::stable_partition(e.begin(), e.end(), [&](auto& x) {
          return !released_home(x.first);
        });
        for (auto it = kept; it != e.end(); ++it)
          held[shard_of_home(it->first)].push_back(std::move(*it));
        e.erase(kept, e.end());
      }
      ++flushing;
      l.unlock();
      flush_erases(std::move(e));
      l.lock();
      --flushing;
      cv.notify_all();  // a release may wait for these
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
      if (released_home(k.first)) continue;  // best effort: its new leader's
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
      if (common::unix_ms() - b.e.job.created_ms > o.max_age.count()) {
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
        // the outbox, which moved with the shard). Let go of only, it may
        // come back (keep): what it had been through is kept.
        if (released_home(k.first)) park(k, e);
        pending.erase(k);
        backlog();
        continue;
      }
      if (common::unix_ms() - e.job.created_ms > o.max_age.count()) {
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

}  // namespace switchboard::push
