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
          gather_summaries(
              self, ctx, viewer, std::move(convs), ctx->lim.inbox_page_members,
              [viewer, ids, candidates, done, failed](
                  proto_error err, summary_page page) mutable {
                if (!err.ok()) return failed(err.message);
                done(true,
                     shown_by_members(viewer, ids, candidates, page.list));
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
