// A conversation's side of push notifications (docs/push.md): the burst of
// messages since the last push is a job in the outbox, written with them,
// and told to the push service once durable; when its grace ends the
// service wakes this actor (activating it if it passivated), and each
// member but the sender whose cursors do not cover the newest message gets
// a job of its own, in one write that also erases the burst.

#include <algorithm>

#include "actors/conversation_ops.hpp"
#include "actors/directory.hpp"
#include "actors/gather.hpp"
#include "metrics/log_sink.hpp"
#include "metrics/metrics.hpp"
#include "push/service.hpp"

namespace switchboard::actors::detail {

namespace {

// One node's share of a burst's jobs.
struct remote_jobs {
  caf::actor registry;
  std::vector<std::string> users;
  std::vector<std::uint64_t> seqs;
};

bool pushes(const conversation_state& st) {
  // A channel sends no per-message pushes: its members pull.
  return st.ctx->push && st.members.size() > 1 &&
         st.members.size() <= st.ctx->lim.fanout_threshold;
}

// Whether `user`'s cursors cover `msg_id` (a device of it has it).
bool covered(const conversation_state& st, const std::string& user,
             std::uint64_t msg_id) {
  auto it = st.members.find(user);
  return it == st.members.end() ||  // not a member any more
         std::max(it->second.delivered_upto, it->second.read_upto) >= msg_id;
}

}  // namespace

// Writes `b` (the burst erased, this node's members' jobs) and hands the
// jobs to the push service once durable.
void hand_over(conv_self self, storage::batch b,
               std::shared_ptr<std::vector<storage::push_entry>> jobs,
               std::uint64_t seq);

void note_burst(conv_self self, storage::batch& b, const chat_message& newest) {
  auto& st = self->state;
  if (!pushes(st)) return;
  if (!st.push_burst) {
    storage::push_entry e;
    e.seq = st.ctx->push->next_seq();
    e.job.conv_id = st.conv_id;
    e.job.created_ms = now_ms();
    st.push_burst = std::move(e);
  }
  auto& j = st.push_burst->job;
  j.msg_id = newest.msg_id;
  j.sender = newest.sender;
  j.preview = st.ctx->push->preview(newest.body);
  b.put_push_job(st.push_burst->seq, j);
}

void burst_written(conv_self self) {
  auto& st = self->state;
  if (!st.push_burst || !st.ctx->push) return;
  st.ctx->push->burst(st.conv_id, *st.push_burst);
  // Its grace ended while messages of it were being written: handed over
  // now that they are durable.
  if (st.push_due_waiting && st.push_burst->job.msg_id <= st.durable_upto) {
    st.push_due_waiting = false;
    burst_due(self, *st.push_burst);
  }
}

void burst_due(conv_self self, storage::push_entry due) {
  using phase = conversation_state::phase;
  auto& st = self->state;
  if (!st.ctx->push) return;
  // Not now (the store could not be read, a write failed and the actor
  // reloads): the service wakes it again.
  if ((st.ph != phase::ready && st.ph != phase::missing) || st.reloading)
    return;
  if (std::find(st.push_handed.begin(), st.push_handed.end(), due.seq) !=
      st.push_handed.end()) {
    st.ctx->push->burst_done(st.conv_id, due.seq);
    return;
  }
  if (st.push_handing.count(due.seq)) return;  // its write is on its way
  // The newest message of it this actor knows (the service's may be older).
  if (st.push_burst && st.push_burst->seq == due.seq) {
    if (st.push_burst->job.msg_id > st.durable_upto) {
      // A message of it is still being written: once it is durable
      // (burst_written), not without it.
      st.push_due_waiting = true;
      return;
    }
    due = std::move(*st.push_burst);
    st.push_burst.reset();  // the next message begins a new burst
  }
  due.job.conv_id = st.conv_id;
  // Not past what is durable: a message still being written may fail.
  due.job.msg_id = std::min(due.job.msg_id, st.durable_upto);
  storage::batch b;
  b.erase_push_job(st.conv_id, due.seq);
  auto jobs = std::make_shared<std::vector<storage::push_entry>>();
  std::vector<storage::push_entry> wanted;
  for (auto& [user, ms] : st.members) {
    if (user == due.job.sender || due.job.msg_id == 0 ||
        covered(st, user, due.job.msg_id))
      continue;  // it sent the message, or a device of it has it
    storage::push_entry e;
    e.seq = st.ctx->push->next_seq();
    e.job = due.job;
    e.job.user_id = user;
    wanted.push_back(std::move(e));
  }
  // Members whose user's shard another node leads: their jobs are written
  // there (registry_push.cpp), one request per node, before the burst goes.
  std::vector<std::string> users;
  for (auto& e : wanted) users.push_back(e.job.user_id);
  auto g = group_by_owner(*st.ctx->dir, users);
  if (!g.err.ok()) {
    // Woken again by the service: the burst stays until they are here.
    metrics::emit(st.ctx->log, "debug", "push_burst_not_handed",
                  {{"conv_id", st.conv_id}, {"error", g.err.message}});
    return;
  }
  for (auto i : g.here) {
    b.put_push_job(wanted[i].seq, wanted[i].job);
    jobs->push_back(std::move(wanted[i]));
  }
  std::vector<remote_jobs> elsewhere;
  for (auto& [registry, pos] : g.elsewhere) {
    remote_jobs r{registry, {}, {}};
    for (auto i : pos) {
      r.users.push_back(wanted[i].job.user_id);
      r.seqs.push_back(wanted[i].seq);
    }
    elsewhere.push_back(std::move(r));
  }
  st.push_handing.insert(due.seq);
  if (elsewhere.empty()) return hand_over(self, std::move(b), jobs, due.seq);
  auto left = std::make_shared<std::size_t>(elsewhere.size());
  auto failed = std::make_shared<std::string>();
  auto batch = std::make_shared<storage::batch>(std::move(b));
  auto remote = std::make_shared<std::vector<std::string>>();
  for (auto& n : elsewhere)
    remote->insert(remote->end(), n.users.begin(), n.users.end());
  auto one_done = [self, left, failed, batch, jobs, remote,
                   msg = due.job.msg_id, seq = due.seq](std::string why) {
    auto& st = self->state;
    if (!why.empty() && failed->empty()) *failed = std::move(why);
    if (--*left > 0) return;
    if (!failed->empty()) {
      // The burst stays in the outbox; the service wakes this conversation
      // again, and the users' nodes that took theirs drop the second copy
      // (push::service::handed: a job of a message they have).
      st.push_handing.erase(seq);
      metrics::emit(st.ctx->log, "warn", "push_burst_not_handed",
                    {{"conv_id", st.conv_id}, {"error", *failed}});
      return;
    }
    // A cursor that came while their jobs were on their way may have
    // reached the users' nodes before the jobs did: told again.
    for (auto& u : *remote)
      if (auto it = st.members.find(u);
          it != st.members.end() && covered(st, u, msg))
        push_cursor(self, u,
                    std::max(it->second.delivered_upto, it->second.read_upto),
                    it->second.read_upto >= msg);
    hand_over(self, std::move(*batch), jobs, seq);
  };
  for (auto& n : elsewhere)
    self->request(n.registry, st.ctx->lim.remote_request_timeout,
                  outbox_atom::value, st.conv_id, due.job.msg_id,
                  due.job.sender, due.job.preview, due.job.created_ms, n.users,
                  n.seqs)
        .then([one_done](std::string& why) { one_done(why); },
              [one_done](caf::error& e) {
                one_done("a member's node did not take its jobs: " +
                         caf::to_string(e));
              });
}

void hand_over(conv_self self, storage::batch b,
               std::shared_ptr<std::vector<storage::push_entry>> jobs,
               std::uint64_t seq) {
  auto& st = self->state;
  // The users' shards are this node's and not moving away while their jobs
  // are written (a move copies a shard once its writes have left).
  std::vector<std::string> users;
  for (auto& j : *jobs) users.push_back(j.job.user_id);
  if (!users.empty() && !st.ctx->dir->enter_writes(users)) {
    st.push_handing.erase(seq);
    metrics::emit(
        st.ctx->log, "debug", "push_burst_not_handed",
        {{"conv_id", st.conv_id}, {"error", "a member's shard moves"}});
    return;
  }
  // Relaxed (not synced on its own; the next synced group's sync covers
  // it): lost only to a power cut, which leaves the burst in the outbox to
  // be handed over again, and its pushes sent twice.
  b.relax_durability();
  commit_then(
      self, std::move(b), [self, jobs, seq, users](const storage::status& s) {
        auto& st = self->state;
        if (!users.empty()) st.ctx->dir->leave_writes(users);
        st.push_handing.erase(seq);
        if (!s) {
          // The burst stays in the outbox; the service wakes this
          // conversation again.
          metrics::emit(st.ctx->log, "warn", "push_burst_not_handed",
                        {{"conv_id", st.conv_id}, {"error", s.err().message}});
          return;
        }
        // An ack that came while the write was on its way covers its job.
        std::vector<storage::push_entry> still;
        storage::batch drop;
        for (auto& j : *jobs)
          if (covered(st, j.job.user_id, j.job.msg_id))
            drop.erase_push_job(j.job.user_id, j.seq);
          else
            still.push_back(std::move(j));
        if (!drop.empty()) {
          drop.relax_durability();
          commit_then(self, std::move(drop), [](const storage::status&) {});
        }
        st.ctx->push->handed(still);
        st.ctx->push->burst_done(st.conv_id, seq);
        st.push_handed.push_back(seq);
        if (st.push_handed.size() > 8) st.push_handed.pop_front();
      });
}

void push_cursor(conv_self self, const std::string& user, std::uint64_t upto,
                 bool read) {
  auto& st = self->state;
  if (!pushes(st)) return;
  auto r = st.ctx->dir->route_of(user);
  if (r.what == directory::shard_route::kind::local)
    return st.ctx->push->cursor(user, st.conv_id, upto, read);
  // The user's pending job is at its shard's leader. Best effort: one that
  // is lost leaves a push that a device had (and a badge the next corrects).
  if (r.what == directory::shard_route::kind::remote)
    caf::anon_send(r.registry, pushcur_atom::value, user, st.conv_id, upto,
                   read);
}

}  // namespace switchboard::actors::detail
