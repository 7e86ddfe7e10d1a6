#include "cluster/node_registration.hpp"

#include <algorithm>
#include <utility>

#include "common/thread_name.hpp"

namespace switchboard::cluster {

namespace {

// "node a is live already (cluster 10.0.0.1:7071, ...)" from the key's
// value as the failed txn read it.
std::string describe_holder(std::string_view id,
                            const std::vector<txn_op_result>& responses) {
  std::string out = "node id " + std::string(id) + " is live already";
  if (responses.empty() || responses[0].kvs.empty())
    return out + " (its key was gone again at once; try again)";
  auto other = decode_node(responses[0].kvs[0].value);
  if (!other)
    return out + " (its record is unreadable: " + other.err().message + ")";
  return out + " (cluster " + other->cluster_addr + ", client " +
         other->client_addr + ", admin " + other->admin_addr +
         ", incarnation " + std::to_string(other->incarnation) +
         "); stop it first or give this node another id";
}

}  // namespace

node_registration::node_registration(etcd_client& client,
                                     const cluster_keys& keys, options opts,
                                     etcd_health& health)
    : client_(client),
      key_(keys.node(opts.self.id)),
      opts_(std::move(opts)),
      health_(health),
      self_(opts_.self),
      ttl_s_(opts_.ttl_s) {}

result<std::unique_ptr<node_registration>> node_registration::start(
    etcd_client& client, const cluster_keys& keys, options opts,
    etcd_health& health) {
  std::unique_ptr<node_registration> r(
      new node_registration(client, keys, std::move(opts), health));
  auto registered = r->register_once();
  if (!registered) return registered.err();
  r->thread_ = std::thread([p = r.get()] {
    name_thread("sb-etcd-lease");
    p->run();
  });
  return r;
}

node_registration::~node_registration() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (lease_ != 0) {
    auto revoked = client_.lease_revoke(lease_);
    if (!revoked)
      log_to(opts_.log, "warn", "lease_revoke_failed",
             revoked.err().message + "; the node's key expires with its TTL");
  }
}

status node_registration::register_once() {
  auto sent = clock::now();
  auto lease = client_.lease_grant(opts_.ttl_s);
  health_.record(lease);
  if (!lease) return lease.err();
  node_record rec;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    rec = self_;
  }
  rec.incarnation = lease->id;
  auto txn = client_.txn(
      {compare::create_revision(key_, compare::op::equal, 0)},
      {txn_op::put(key_, encode_node(rec), lease->id)}, {txn_op::range(key_)});
  health_.record(txn);
  if (!txn || !txn->succeeded) {
    // Revoking also deletes the key should a timed-out txn have applied.
    (void)client_.lease_revoke(lease->id);  // else it expires with its TTL
    if (!txn) return txn.err();
    return error{errc::already_exists, describe_holder(rec.id, txn->responses)};
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    self_ = rec;
    lease_ = lease->id;
    key_revision_ = txn->header.revision;  // the put's: the key's creation
    ttl_s_ = lease->ttl;
    last_ok_ = sent;
  }
  if (opts_.on_registered) opts_.on_registered(rec, txn->header.revision);
  return ok;
}

void node_registration::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  std::string last_failure;  // of registering again, logged once each
  while (!stopping_) {
    auto interval = std::chrono::milliseconds(ttl_s_ * 1000 / 3);
    if (wake_.wait_for(lock, interval, [&] { return stopping_; })) break;
    if (suspended_.load()) continue;
    bool registered = lease_ != 0;
    lock.unlock();
    if (registered) {
      keepalive_once();
    } else {
      auto again = register_once();
      if (again) {
        last_failure.clear();
        log_to(opts_.log, "info", "registered_again",
               "node " + opts_.self.id + " registered again, incarnation " +
                   std::to_string(incarnation()));
        if (opts_.on_recovered) opts_.on_recovered();
      } else if (again.err().message != last_failure) {
        last_failure = again.err().message;
        log_to(opts_.log, "error", "register_failed",
               last_failure + "; retrying every TTL/3");
      }
    }
    lock.lock();
  }
}

void node_registration::keepalive_once() {
  std::int64_t lease = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    lease = lease_;
  }
  auto sent = clock::now();
  auto r = client_.lease_keepalive(lease);
  std::chrono::duration<double> took = clock::now() - sent;
  if (opts_.on_keepalive) opts_.on_keepalive(took.count(), bool(r));
  health_.record(r);
  // The log is called with no lock held: it may call back into us.
  std::unique_lock<std::mutex> lock(mutex_);
  if (r) {
    last_ok_ = sent;  // etcd refreshed the lease after this
    bool recovered = std::exchange(failing_, false);
    lock.unlock();
    if (recovered) {
      log_to(opts_.log, "info", "keepalive_recovered",
             "lease " + std::to_string(lease) + " kept alive again");
      if (opts_.on_recovered) opts_.on_recovered();
    }
    return;
  }
  if (r.err().code == errc::lease_not_found) {
    // Expired while etcd was out of reach (or revoked by someone): the id
    // is free again, or soon taken by another; the next tick registers.
    lease_ = 0;
    key_revision_ = 0;
    failing_ = false;
    lock.unlock();
    log_to(opts_.log, "warn", "lease_expired",
           "lease " + std::to_string(lease) + " of node " + opts_.self.id +
               " is gone; registering again with a new incarnation");
    return;
  }
  bool first = !std::exchange(failing_, true);
  lock.unlock();
  if (first) log_to(opts_.log, "warn", "keepalive_failed", r.err().message);
}

node_record node_registration::self() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return self_;
}

std::int64_t node_registration::incarnation() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return self_.incarnation;
}

std::int64_t node_registration::key_revision() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return key_revision_;
}

std::int64_t node_registration::ttl_s() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return ttl_s_;
}

bool node_registration::lease_valid() const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (lease_ == 0) return false;
  auto ttl = std::chrono::milliseconds(ttl_s_ * 1000);
  auto margin =
      std::max<std::chrono::milliseconds>(std::chrono::seconds(1), ttl / 5);
  return clock::now() < last_ok_ + ttl - margin;
}

void node_registration::suspend_keepalive(bool suspended) {
  suspended_.store(suspended);
}

}  // namespace switchboard::cluster
