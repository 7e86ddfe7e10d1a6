#pragma once

// Reads that span shards in a cluster (docs/ARCHITECTURE.md "cluster/"): users'
// conversation lists from the users' owners and conversation summaries from the
// conversations' owners, one request per node, the local part from this
// node's store on the I/O pool. Internal to actors/ (requests.cpp).

#include <caf/all.hpp>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "actors/blocking.hpp"
#include "actors/directory.hpp"
#include "actors/inbox.hpp"
#include "actors/node_context.hpp"
#include "storage/store.hpp"

namespace switchboard::actors {

// `ids` split by where their shard lives: positions of this node's, and
// for each other node its registry and the positions of its ids; `err` is
// set (unavailable) when some id's shard has no reachable owner.
struct id_groups {
  std::vector<std::size_t> here;
  std::vector<std::pair<caf::actor, std::vector<std::size_t>>> elsewhere;
  proto_error err;
};
id_groups group_by_owner(const directory& dir,
                         const std::vector<std::string>& ids);

// The conversation ids of each of `users`, in order; `done(err, lists)`
// runs inside `self`.
template <class Self, class Done>
void gather_inboxes(Self* self, node_context* ctx,
                    std::vector<std::string> users, Done done) {
  auto g = group_by_owner(*ctx->dir, users);
  if (!g.err.ok()) return done(g.err, std::vector<std::vector<std::string>>{});
  struct state {
    std::vector<std::vector<std::string>> lists;
    std::size_t left = 0;
    proto_error err;
  };
  auto st = std::make_shared<state>();
  st->lists.resize(users.size());
  st->left = g.elsewhere.size() + (g.here.empty() ? 0 : 1);
  if (st->left == 0) return done(proto_error{}, std::move(st->lists));
  auto finish = [st, done](proto_error e) mutable {
    if (!e.ok() && st->err.ok()) st->err = std::move(e);
    if (--st->left == 0) done(st->err, std::move(st->lists));
  };
  auto pick = [&users](const std::vector<std::size_t>& pos) {
    std::vector<std::string> out;
    for (auto i : pos) out.push_back(users[i]);
    return out;
  };
  if (!g.here.empty())
    run_blocking(
        self, *ctx->pool,
        [store = ctx->store, ids = pick(g.here)] {
          return read_inboxes(*store, ids);
        },
        [st, finish, pos = g.here](
            storage::result<std::vector<std::vector<std::string>>> r) mutable {
          if (!r)
            return finish(proto_error{proto_code::internal,
                                      "storage error: " + r.err().message});
          for (std::size_t k = 0; k < pos.size(); ++k)
            st->lists[pos[k]] = std::move((*r)[k]);
          finish(proto_error{});
        });
  for (auto& [registry, pos] : g.elsewhere)
    self->request(registry, ctx->lim.remote_request_timeout, inbox_atom::value,
                  pick(pos))
        .then(
            [st, finish,
             pos = pos](std::vector<std::vector<std::string>>& lists) mutable {
              for (std::size_t k = 0; k < pos.size() && k < lists.size(); ++k)
                st->lists[pos[k]] = std::move(lists[k]);
              finish(proto_error{});
            },
            [finish](caf::error&) mutable {
              finish(proto_error{proto_code::unavailable,
                                 "a user's node did not answer; retry", 1000});
            });
}

// At most `limit` conversation ids of `user` after `after` (a page of its
// inbox), from the user's owner; `done(err, ids)` runs inside `self`.
template <class Self, class Done>
void gather_inbox_page(Self* self, node_context* ctx, std::string user,
                       std::string after, std::uint32_t limit, Done done) {
  auto g = group_by_owner(*ctx->dir, {user});
  if (!g.err.ok()) return done(g.err, std::vector<std::string>{});
  if (!g.here.empty())
    return run_blocking(
        self, *ctx->pool,
        [store = ctx->store, user, after, limit] {
          return store->inbox_page(user, after, limit);
        },
        [done](storage::result<std::vector<std::string>> r) mutable {
          if (!r)
            return done(proto_error{proto_code::internal,
                                    "storage error: " + r.err().message},
                        std::vector<std::string>{});
          done(proto_error{}, std::move(*r));
        });
  self->request(g.elsewhere.at(0).first, ctx->lim.remote_request_timeout,
                inbox_atom::value, user, after, limit)
      .then(
          [done](std::vector<std::string>& ids) mutable {
            done(proto_error{}, std::move(ids));
          },
          [done](caf::error& e) mutable {
            done(proto_error{proto_code::unavailable,
                             "a user's node did not answer (" +
                                 caf::to_string(e) + "); retry",
                             1000},
                 std::vector<std::string>{});
          });
}

// The summaries of `convs` for `user`, in the order of `convs` (those that
// do not exist or that `user` is not a member of are left out), as far as
// each node's `member_budget` reached: `done(err, page)` runs inside `self`,
// `page.covered` the length of the prefix of `convs` that every node read.
template <class Self, class Done>
void gather_summaries(Self* self, node_context* ctx, std::string user,
                      std::vector<std::string> convs, std::size_t member_budget,
                      Done done) {
  auto g = group_by_owner(*ctx->dir, convs);
  if (!g.err.ok()) return done(g.err, summary_page{});
  struct state {
    std::vector<std::string> order;
    std::map<std::string, conv_summary> found;
    std::size_t covered = 0;  // the prefix of `order` every node read
    std::size_t left = 0;
    proto_error err;
  };
  auto st = std::make_shared<state>();
  st->order = convs;
  st->covered = convs.size();
  st->left = g.elsewhere.size() + (g.here.empty() ? 0 : 1);
  auto finish = [st, done, member_budget](proto_error e) mutable {
    if (!e.ok() && st->err.ok()) st->err = std::move(e);
    if (--st->left != 0) return;
    // Each node spent the budget on its own; the page spends it once, as a
    // single node's read would (read_summaries).
    summary_page page;
    std::size_t listed = 0, k = 0;
    for (; k < st->covered; ++k) {
      auto it = st->found.find(st->order[k]);
      if (it == st->found.end()) continue;
      auto n = it->second.members.size();
      if (k > 0 && listed + n > member_budget) break;
      listed += n;
      page.list.push_back(std::move(it->second));
    }
    page.covered = static_cast<std::uint32_t>(k);
    done(st->err, std::move(page));
  };
  if (st->left == 0) return done(proto_error{}, summary_page{});
  // A node that read the first `p.covered` of its conversations (at
  // positions `pos`, ascending) leaves the prefix before the next one.
  auto take = [st](summary_page& p, const std::vector<std::size_t>& pos) {
    if (p.covered < pos.size())
      st->covered = std::min(st->covered, pos[p.covered]);
    for (auto& s : p.list) {
      auto id = s.conv_id;
      st->found.emplace(std::move(id), std::move(s));
    }
  };
  auto pick = [&convs](const std::vector<std::size_t>& pos) {
    std::vector<std::string> out;
    for (auto i : pos) out.push_back(convs[i]);
    return out;
  };
  if (!g.here.empty())
    run_blocking(
        self, *ctx->pool,
        [store = ctx->store, user, ids = pick(g.here), member_budget] {
          return read_summaries(*store, user, ids, member_budget);
        },
        [take, finish, pos = g.here](storage::result<summary_page> r) mutable {
          if (!r)
            return finish(proto_error{proto_code::internal,
                                      "storage error: " + r.err().message});
          take(*r, pos);
          finish(proto_error{});
        });
  for (auto& [registry, pos] : g.elsewhere)
    self->request(registry, ctx->lim.remote_request_timeout,
                  summary_atom::value, user, pick(pos),
                  static_cast<std::uint64_t>(member_budget))
        .then(
            [take, finish, pos = pos](summary_page& p) mutable {
              take(p, pos);
              finish(proto_error{});
            },
            [finish](caf::error& e) mutable {
              finish(proto_error{proto_code::unavailable,
                                 "a conversation's node did not answer (" +
                                     caf::to_string(e) + "); retry",
                                 1000});
            });
}

}  // namespace switchboard::actors
