#include "actors/conversation_actor.hpp"

#include <algorithm>
#include <memory>
#include <set>

#include "actors/blocking.hpp"
#include "actors/budget_check.hpp"
#include "actors/conversation_ops.hpp"
#include "actors/directory.hpp"
#include "actors/events.hpp"
#include "metrics/log_sink.hpp"
#include "storage/store.hpp"

namespace switchboard::actors {

namespace {

using detail::conv_self;
using phase = conversation_state::phase;

struct loaded {
  std::uint64_t generation = 0;  // the store's, read before anything else
  std::optional<storage::conversation_meta> meta;
  std::vector<storage::member_entry> members;
  std::optional<storage::conversation_log> log;
};

storage::result<loaded> load(storage::store& s, const std::string& conv) {
  loaded out;
  // Read first: a failure after it fences this state's writes.
  out.generation = s.health().generation;
  auto meta = s.conversation(conv);
  if (!meta) return meta.err();
  out.meta = std::move(*meta);
  if (out.meta) {
    auto ms = s.members(conv);
    if (!ms) return ms.err();
    out.members = std::move(*ms);
  }
  auto log = storage::conversation_log::open(s, conv);
  if (!log) return log.err();
  out.log.emplace(std::move(*log));
  return out;
}

bool busy(const conversation_state& st) {
  if (st.reloading) return true;  // finish_reload passivates
  return !st.sends.empty() || st.sends.looking_up() ||
         st.writes_in_flight > 0 || st.cursors.pending() || !st.dups.empty() ||
         !st.waiting.empty() || st.ph == phase::loading ||
         st.ph == phase::creating || st.members_busy;
}

void passivate(conv_self self) {
  detail::channel_leave(self);
  self->state.ctx->dir->forget_conversation(self->state.conv_id,
                                            self->address());
  self->quit();
}

// The timeout tag of a leaving actor's check (0 is the idle timer's).
constexpr std::uint64_t leave_check = 1;

void arm_idle_timer(conv_self self) {
  self->delayed_send(self, self->state.ctx->lim.idle_actor, timeout_atom::value,
                     std::uint64_t{0});
}

}  // namespace

conversation_actor::behavior_type conversation(
    conversation_actor::stateful_pointer<conversation_state> self,
    std::string conv_id, node_context* ctx) {
  auto& st = self->state;
  st.conv_id = conv_id;
  st.ctx = ctx;
  st.last_activity_ms = now_ms();
  run_blocking(
      self, *ctx->pool,
      [store = ctx->store, conv_id] { return load(*store, conv_id); },
      [self](storage::result<loaded> r) {
        auto& st = self->state;
        if (!r) {
          st.ph = phase::failed;
          metrics::emit(st.ctx->log, "error", "conversation_load_failed",
                        {{"conv_id", st.conv_id}, {"error", r.err().message}});
        } else {
          st.store_generation = r->generation;
          st.log = std::move(r->log);
          st.durable_upto = st.log->last_msg_id();
          st.confirmed = st.ctx->positions == nullptr;
          if (r->meta) {
            st.meta = std::move(*r->meta);
            for (auto& m : r->members) st.members[m.user_id] = m.state;
            st.ph = phase::ready;
            detail::channel_members_changed(self, {}, {});
          } else {
            st.ph = phase::missing;
          }
        }
        // With copies, what the store holds may include a write that failed
        // to reach them (it stayed here, unacknowledged): one barrier write
        // of the shard first, whose success proves every earlier write is
        // on every copy in sync, so that history and duplicates show only
        // what was acknowledged. Requests wait meanwhile, as while loading.
        if (st.ph == phase::ready && !st.confirmed) {
          st.ph = phase::loading;
          storage::batch b;
          b.touch_shard(st.conv_id);
          detail::commit_then(self, std::move(b),
                              [self](const storage::status& s) {
                                auto& st = self->state;
                                if (s) st.confirmed = true;
                                st.ph = phase::ready;
                                detail::run_waiting(self);
                              });
          return;
        }
        detail::run_waiting(self);
        // Nothing to keep for an unknown id, nor after a failed load.
        if ((st.ph == phase::missing || st.ph == phase::failed) && !busy(st))
          passivate(self);
      });
  self->set_down_handler([self](caf::down_msg& dm) {
    if (!detail::channel_down(self, dm))
      metrics::emit(
          self->state.ctx->log, "debug", "unexpected_down",
          {{"conv_id", self->state.conv_id}, {"reason", to_string(dm.reason)}});
  });
  arm_idle_timer(self);
  return {
      [self](create_atom, create_request& req) -> caf::result<create_reply> {
        auto rp = self->make_response_promise<create_reply>();
        detail::when_ready(self, [self, req = std::move(req), rp]() mutable {
          detail::do_create(self, std::move(req), rp);
        });
        return rp;
      },
      [self](send_atom, send_request& req) -> caf::result<send_reply> {
        auto rp = self->make_response_promise<send_reply>();
        detail::when_ready(self, [self, req = std::move(req), rp]() mutable {
          detail::do_send(self, std::move(req), send_answer(rp));
        });
        return rp;
      },
      [self](send_atom, std::vector<send_request>& reqs)
          -> caf::result<std::vector<send_reply>> {
        auto rp = self->make_response_promise<std::vector<send_reply>>();
        struct gathered {
          std::vector<send_reply> replies;
          std::size_t left = 0;
        };
        auto g = std::make_shared<gathered>();
        g->replies.resize(reqs.size());
        g->left = reqs.size();
        if (reqs.empty()) {
          rp.deliver(std::vector<send_reply>{});
          return rp;
        }
        // In order, as that many single sends would be, and in one write.
        std::vector<send_answer> answers;
        answers.reserve(reqs.size());
        for (std::size_t i = 0; i < reqs.size(); ++i)
          answers.emplace_back([rp, g, i](send_reply r) mutable {
            g->replies[i] = std::move(r);
            if (--g->left == 0) rp.deliver(std::move(g->replies));
          });
        detail::when_ready(self, [self, reqs = std::move(reqs),
                                  answers = std::move(answers)]() mutable {
          detail::do_sends(self, std::move(reqs), std::move(answers));
        });
        return rp;
      },
      [self](sync_atom, sync_request& req) -> caf::result<history_reply> {
        auto rp = self->make_response_promise<history_reply>();
        detail::when_ready(self, [self, req = std::move(req), rp]() mutable {
          detail::do_sync(self, std::move(req), rp);
        });
        return rp;
      },
      [self](cursor_atom, cursor_request& req) -> caf::result<proto_error> {
        auto rp = self->make_response_promise<proto_error>();
        detail::when_ready(self, [self, req = std::move(req), rp]() mutable {
          detail::do_cursor(self, std::move(req), rp);
        });
        return rp;
      },
      [self](cursor_atom, cursors_request& req) -> caf::result<cursors_reply> {
        auto rp = self->make_response_promise<cursors_reply>();
        detail::when_ready(self, [self, req = std::move(req), rp]() mutable {
          detail::do_cursors(self, std::move(req), rp);
        });
        return rp;
      },
      [self](typing_atom, std::string& user) -> caf::result<proto_error> {
        auto rp = self->make_response_promise<proto_error>();
        detail::when_ready(self, [self, user = std::move(user), rp]() mutable {
          detail::do_typing(self, std::move(user), rp);
        });
        return rp;
      },
      [self](members_atom, members_request& req) -> caf::result<proto_error> {
        auto rp = self->make_response_promise<proto_error>();
        detail::when_ready(self, [self, req = std::move(req), rp]() mutable {
          detail::do_members(self, std::move(req), rp);
        });
        return rp;
      },
      [](continue_atom, continuation& c) { c.fn(); },
      [self](move_atom) {
        self->state.leaving = true;
        self->send(self, timeout_atom::value, leave_check);
      },
      [self](push_atom, std::uint64_t seq, std::uint64_t msg_id,
             std::string& sender, std::int64_t created_ms) {
        storage::push_entry e;
        e.seq = seq;
        e.job.conv_id = self->state.conv_id;
        e.job.msg_id = msg_id;
        e.job.sender = std::move(sender);
        e.job.created_ms = created_ms;
        detail::when_ready(self, [self, e = std::move(e)]() mutable {
          detail::burst_due(self, std::move(e));
        });
      },
      [self](channel_atom, const std::string& user, std::uint64_t gen,
             bool online) { detail::channel_notice(self, user, gen, online); },
      [self](channel_atom) { detail::channel_rewatch(self); },
      [self](timeout_atom, std::uint64_t tag) {
        auto& st = self->state;
        if (tag == detail::channel_retry_tag)
          return detail::channel_retry(self);
        if (tag == leave_check) {
          // Every request that reached it is answered (its writes durable)
          // before it stops; no new one comes (the shard is frozen).
          if (!busy(st)) return passivate(self);
          self->delayed_send(self, std::chrono::milliseconds(5),
                             timeout_atom::value, leave_check);
          return;
        }
        bool idle = idle_long_enough(*st.ctx, st.last_activity_ms);
        if (idle && !busy(st)) {
          passivate(self);
          return;
        }
        arm_idle_timer(self);
      },
  };
}

}  // namespace switchboard::actors
