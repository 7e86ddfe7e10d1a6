#pragma once

// Which users a viewer may see the presence of (presence_policy.hpp),
// wherever their conversation lists are: read here on one node, gathered
// from the users' owners in a cluster. Internal to actors/ (requests.cpp,
// session_presence.cpp).

#include <memory>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "actors/gather.hpp"
#include "actors/presence_policy.hpp"
#include "metrics/log_sink.hpp"

namespace switchboard::actors {

// The summaries of those of `convs` that `viewer` is a member of, read
// page after page (a page stops at the member budget, never before its
// first conversation) until every one was read: `done(err, found)` inside
// `self`, `found` with those of `before` first.
template <class Self, class Done>
void read_shared(Self* self, node_context* ctx, const std::string& viewer,
                 std::vector<std::string> convs,
                 std::vector<conv_summary> before, Done done) {
  gather_summaries(
      self, ctx, viewer, convs, ctx->lim.inbox_page_members,
      [self, ctx, viewer, convs, before = std::move(before), done](
          proto_error err, summary_page page) mutable {
        if (!err.ok()) return done(err, std::move(before));
        for (auto& s : page.list) before.push_back(std::move(s));
        if (page.covered == 0 || page.covered >= convs.size())
          return done(proto_error{}, std::move(before));
        convs.erase(convs.begin(),
                    convs.begin() + static_cast<std::ptrdiff_t>(page.covered));
        read_shared(self, ctx, viewer, std::move(convs), std::move(before),
                    std::move(done));
      });
}

// done(ok, shown) runs inside `self`: shown[i] answers for ids[i]. When the
// lists cannot be read, ok is false and nobody is shown (fail closed); the
// error reaches the log unless !`log` (a retry of a check that failed and
// was logged).
template <class Self, class Done>
void check_presence(Self* self, node_context* ctx, const std::string& viewer,
                    std::vector<std::string> ids, Done done, bool log = true) {
  auto n = ids.size();
  if (ctx->lim.presence_all) return done(true, std::vector<bool>(n, true));
  auto failed = [ctx, viewer, n, done, log](const std::string& why) mutable {
    if (log)
      metrics::emit(ctx->log, "warn", "presence_check_failed",
                    {{"viewer", viewer}, {"error", why}});
    done(false, std::vector<bool>(n, false));
  };
  if (ctx->dir->clustered()) {
    std::vector<std::string> users{viewer};
    users.insert(users.end(), ids.begin(), ids.end());
    // The lists from the users' owners, then the memberships of the
    // conversations they share from those conversations' owners.
    gather_inboxes(
        self, ctx, std::move(users),
        [self, ctx, viewer, ids = std::move(ids), done, failed](
            proto_error err,
            std::vector<std::vector<std::string>> lists) mutable {
          if (!err.ok() || lists.size() != ids.size() + 1)
            return failed(err.ok() ? "short answer" : err.message);
          auto candidates = shared_by_lists(viewer, lists[0], ids,
                                            {lists.begin() + 1, lists.end()},
                                            presence_candidates);
          std::vector<std::string> convs;
          std::unordered_set<std::string> seen;
          for (auto& cs : candidates)
            for (auto& c : cs)
              if (seen.insert(c).second) convs.push_back(c);
          if (convs.empty())
            return done(true, shown_by_members(viewer, ids, candidates, {}));
          read_shared(
              self, ctx, viewer, std::move(convs), {},
              [viewer, ids, candidates, done, failed](
                  proto_error err, std::vector<conv_summary> found) mutable {
                if (!err.ok()) return failed(err.message);
                done(true, shown_by_members(viewer, ids, candidates, found));
              });
        });
    return;
  }
  run_blocking(
      self, *ctx->pool,
      [store = ctx->store, viewer, ids = std::move(ids)] {
        return presence_visible(*store, viewer, ids);
      },
      [done, failed](storage::result<std::vector<bool>> v) mutable {
        if (!v) return failed(v.err().message);
        done(true, std::move(*v));
      });
}

}  // namespace switchboard::actors
