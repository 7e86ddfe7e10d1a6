// The push service's calls (service.hpp); its worker's steps are in
// service_worker.cpp, its state in service_impl.hpp.
#include "push/service.hpp"

#include <algorithm>
#include <future>

#include "common/thread_name.hpp"
#include "metrics/metrics.hpp"
#include "push/service_impl.hpp"

namespace switchboard::push {

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
  if (!p.o.webpush_vapid_key.empty()) {
    // Its endpoints are the clients': a client of its own, whose
    // connections are checked as they are opened and never shared with
    // the operator's providers (which may be on private addresses).
    p.webpush_http =
        p.o.webpush_allow_private
            ? p.http
            : std::make_shared<http_client>(64 * 1024, p.o.ca_file,
                                            http_client::reach::public_only);
    p.webpush = std::make_unique<webpush_provider>(
        p.webpush_http, p.o.webpush_vapid_key, p.o.webpush_subject,
        p.o.webpush_allow_private);
  }
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
  if (impl_->webpush_http) impl_->webpush_http->shutdown();
  impl_->gateway.reset();
  impl_->fcm.reset();
  impl_->webpush.reset();
  impl_->apns.reset();
  impl_->http.reset();
  impl_->webpush_http.reset();
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
  impl_->worker = std::thread([p = impl_.get()] {
    name_thread("sb-push");
    p->run();
  });
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
    // Led here again: a shard gone before is this node's once more (not
    // one whose release is under way: its route may just have flapped).
    for (auto n : shards)
      if (auto r = impl_->released.find(n);
          r != impl_->released.end() && !r->second)
        impl_->released.erase(r);
    if (!impl_->started) return;  // start() reads the whole outbox
    impl_->rescan_shards.insert(shards.begin(), shards.end());
    impl_->rescan_due = clock::now();
  }
  impl_->cv.notify_all();
}

bool service::impl::sending_of(std::uint16_t shard) const {
  auto of = [&](const std::string& home) {
    return storage::shard_of(home, store.shards()) == shard;
  };
  for (auto& a : done)
    if (of(a.key.first)) return true;
  if (sending == 0) return false;
  for (auto& [k, e] : pending)
    if (e.sending && of(k.first)) return true;
  return false;
}

bool service::release(std::uint16_t shard, std::chrono::milliseconds timeout) {
  auto& i = *impl_;
  bool in_time = true;
  {
    std::unique_lock<std::mutex> l(i.mtx);
    i.released[shard] = true;
    // What is not on its way stays in the outbox, for the new leader.
    for (auto it = i.pending.begin(); it != i.pending.end();) {
      if (it->second.sending || i.shard_of_home(it->first.first) != shard) {
        ++it;
        continue;
      }
      i.unschedule(it->first, it->second);
      i.park(it->first, it->second);
      it = i.pending.erase(it);
    }
    for (auto it = i.bursts.begin(); it != i.bursts.end();) {
      if (i.shard_of_home(it->first.first) != shard) {
        ++it;
        continue;
      }
      i.bursts_due.erase({it->second.due, it->first.first, it->first.second});
      it = i.bursts.erase(it);
    }
    i.backlog();
    // The worker settles what was answered (holding its erases back), and
    // tells the cv; a send's answer wakes it.
    in_time = i.cv.wait_until(l, clock::now() + timeout, [&] {
      return !i.sending_of(shard) && i.flushing == 0;
    });
  }
  if (!in_time)
    metrics::emit(i.log, "warn", "push_release_late",
                  {{"shard", std::to_string(shard)},
                   {"detail",
                    "a push of the shard was still on its way: its new leader "
                    "may send it once more"}});
  return flush(shard) && in_time;
}

bool service::flush(std::uint16_t shard) {
  auto& i = *impl_;
  std::vector<std::pair<std::string, std::uint64_t>> mine;
  {
    std::lock_guard<std::mutex> l(i.mtx);
    mine = i.take_erases(shard);
  }
  // Written, or an empty barrier: either way every erase handed to the
  // store before (the group commit completes in order) is durable after.
  storage::batch b;
  for (auto& [home, seq] : mine) b.erase_push_job(home, seq);
  if (auto st = i.store.commit_and_wait(std::move(b)); !st) {
    metrics::emit(i.log, "warn", "push_job_not_erased",
                  {{"jobs", std::to_string(mine.size())},
                   {"shard", std::to_string(shard)},
                   {"error", st.err().message}});
    return false;
  }
  return true;
}

void service::keep(std::uint16_t shard) {
  {
    std::lock_guard<std::mutex> l(impl_->mtx);
    if (!impl_->released.erase(shard)) return;
    if (auto h = impl_->held.find(shard); h != impl_->held.end()) {
      if (impl_->erases.empty())
        impl_->erases_due = clock::now() + detail::erase_delay;
      for (auto& e : h->second) impl_->erases.push_back(std::move(e));
      impl_->held.erase(h);
    }
    // Its jobs and bursts are read from the outbox again (those it sent
    // are known, and their entries go).
    if (impl_->started) {
      impl_->rescan_shards.insert(shard);
      impl_->rescan_due = clock::now();
    }
  }
  impl_->cv.notify_all();
}

void service::gone(std::uint16_t shard) {
  std::lock_guard<std::mutex> l(impl_->mtx);
  if (auto r = impl_->released.find(shard); r != impl_->released.end())
    r->second = false;
  impl_->held.erase(shard);  // the new leader's outbox has those jobs
  impl_->drop_parked([&](const std::string& home) {
    return impl_->shard_of_home(home) == shard;
  });
}

void service::burst(const std::string& conv, const storage::push_entry& e) {
  {
    std::lock_guard<std::mutex> l(impl_->mtx);
    if (impl_->stopping) return;
    burst_key k{conv, e.seq};
    auto [it, fresh] = impl_->bursts.try_emplace(k);
    it->second.e = e;
    if (!fresh) return;  // a later message of it: its grace runs already
    auto left = e.job.created_ms + impl_->o.grace.count() - common::unix_ms();
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
      // Of a shard let go of: it stays in the outbox, for the new leader.
      if (impl_->released_home(j.job.user_id)) continue;
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
    // The worker writes what finish() erased, and sends a clear.
    if (read && impl_->pushed.erase(k)) impl_->clears.push_back(std::move(k));
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
