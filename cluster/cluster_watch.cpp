#include "cluster/cluster_watch.hpp"

#include <algorithm>
#include <chrono>
#include <set>
#include <utility>

#include "common/thread_name.hpp"

namespace switchboard::cluster {

namespace {

// How often the keys are read to see whether the watch still delivers.
constexpr std::chrono::seconds check_every{5};

}  // namespace

cluster_watch::cluster_watch(etcd_client& client, const cluster_keys& keys,
                             cluster_view& view, etcd_health& health,
                             log_callback log, std::function<void()> on_change)
    : client_(client),
      keys_(keys),
      view_(view),
      health_(health),
      log_(std::move(log)),
      on_change_(std::move(on_change)) {}

result<std::unique_ptr<cluster_watch>> cluster_watch::start(
    etcd_client& client, const cluster_keys& keys, cluster_view& view,
    etcd_health& health, log_callback log, std::function<void()> on_change) {
  std::unique_ptr<cluster_watch> w(new cluster_watch(
      client, keys, view, health, std::move(log), std::move(on_change)));
  // A compaction between the load and the watch is unlikely but possible:
  // load again.
  status loaded = ok;
  for (int attempt = 0; attempt < 3; ++attempt) {
    loaded = w->load_and_watch(false);
    if (loaded || loaded.err().code != errc::compacted) break;
  }
  if (!loaded) return loaded.err();
  w->thread_ = std::thread([p = w.get()] {
    name_thread("sb-etcd-watch");
    p->run();
  });
  return w;
}

cluster_watch::~cluster_watch() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  watch_.reset();  // waits for a callback in progress
}

void cluster_watch::restart() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!broken_)
    broken_ = error{errc::io_error, "etcd was out of reach for a while"};
  wake_.notify_all();
}

status cluster_watch::load_and_watch(bool report) {
  auto all = client_.range_prefix(keys_.root());
  health_.record(all);
  if (!all) return all.err();
  view_.reload(all->kvs, all->header.revision);
  if (report && on_change_) on_change_();
  return watch_from(all->header.revision + 1);
}

status cluster_watch::watch_from(std::int64_t revision) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    next_revision_ = revision;
  }
  auto w = client_.watch_prefix(
      keys_.root(), revision,
      [this](result<watch_response> update) { on_update(std::move(update)); });
  health_.record(w);
  if (!w) return w.err();
  watch_ = std::move(*w);
  return ok;
}

void cluster_watch::on_update(result<watch_response> update) {
  if (!update) {
    std::lock_guard<std::mutex> lock(mutex_);
    broken_ = update.err();
    wake_.notify_all();
    return;
  }
  health_.record_ok();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& e : update->events)
      next_revision_ = std::max(next_revision_, e.kv.mod_revision + 1);
  }
  if (view_.apply(update->events) && on_change_) on_change_();
}

std::optional<error> cluster_watch::check_lag() {
  auto all = client_.range_prefix(keys_.root());
  health_.record(all);
  if (!all) return std::nullopt;  // etcd out of reach: restart() handles it
  lag now;
  std::set<std::string> nodes;
  std::set<std::uint32_t> shards;
  for (const auto& kv : all->kvs) {
    now.newest = std::max(now.newest, kv.mod_revision);
    if (auto id = keys_.node_id(kv.key)) nodes.insert(*id);
    if (auto n = keys_.shard_number(kv.key)) shards.insert(*n);
  }
  for (auto& id : view_.live_ids())
    if (!nodes.count(id)) now.gone.push_back(keys_.node(id));
  auto map = view_.shard_map();
  for (std::uint32_t n = 0; n < map.size(); ++n)
    if (map[n] && !shards.count(n)) now.gone.push_back(keys_.shard(n));
  std::int64_t next = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    next = next_revision_;
  }
  std::optional<error> stale;
  if (lagging_) {
    // Events in flight at the last check have arrived by now.
    std::string missed;
    if (next <= lagging_->newest)
      missed = "no event up to revision " + std::to_string(lagging_->newest) +
               " (the watch is at " + std::to_string(next) + ")";
    for (auto& k : lagging_->gone)
      if (std::find(now.gone.begin(), now.gone.end(), k) != now.gone.end())
        missed += (missed.empty() ? "" : "; ") + k + " deleted";
    if (!missed.empty())
      stale = error{errc::io_error, "the watch missed changes: " + missed};
  }
  if (stale || (now.newest < next && now.gone.empty()))
    lagging_.reset();
  else
    lagging_ = std::move(now);
  return stale;
}

void cluster_watch::run() {
  using namespace std::chrono_literals;
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    if (!wake_.wait_for(lock, check_every,
                        [&] { return stopping_ || broken_; })) {
      lock.unlock();
      auto stale = check_lag();
      lock.lock();
      if (stale && !broken_) broken_ = std::move(stale);
      continue;
    }
    if (stopping_) return;
    auto why = *std::exchange(broken_, std::nullopt);
    lock.unlock();
    health_.record(why);
    log_to(log_, "warn", "watch_broken", why.message + "; watching again");
    watch_.reset();  // its last callback has returned or returns now
    lock.lock();
    auto from = next_revision_;
    lock.unlock();
    bool reload = why.code == errc::compacted;
    auto backoff = 100ms;
    for (;;) {
      auto again = reload ? load_and_watch(true) : watch_from(from);
      if (again) break;
      if (again.err().code == errc::compacted) {
        reload = true;
        continue;
      }
      lock.lock();
      if (wake_.wait_for(lock, backoff, [&] { return stopping_; })) return;
      lock.unlock();
      backoff = std::min<std::chrono::milliseconds>(backoff * 2, 2s);
    }
    lagging_.reset();
    log_to(log_, "info", "watch_restored",
           reload ? "loaded again after a compaction" : "no event missed");
    lock.lock();
  }
}

}  // namespace switchboard::cluster
