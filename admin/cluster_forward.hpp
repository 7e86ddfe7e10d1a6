#pragma once

#include <boost/json/object.hpp>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "admin/api.hpp"
#include "net/http_types.hpp"

namespace switchboard::admin {

// The admin requests that name something of one shard, or concern every
// node, answered across a cluster: `user`, `conv` and `tail` by the owner of
// the id's shard (a user's connections gathered from every node), `kick`
// on every node, `users` from every node. A request another node forwarded
// here carries `scope=node` and is answered here alone. nullopt: not such a
// request; this node answers it as a standalone node would. Blocks.
std::optional<net::http_response> answer_in_cluster(
    const admin_context::cluster_views& cv, const net::http_request& req,
    const std::vector<std::string>& parts);

// The path of an admin request target, split at '/', percent-decoded:
// "/admin/v1/users/a%20b?x=1" -> {"admin", "v1", "users", "a b"}.
std::vector<std::string> path_parts(const std::string& target);

// Whether a request of `method` on `parts` ("admin", "v1", ...) is the call
// `m` on `pattern`, the path past "admin", "v1", matched as rest::matches
// does ("*": any one part). A GET of {"admin", "v1", "users", "u1"} is
// {"users", "*"}, "GET"; not {"users"}, nor {"users", "*"}, "POST". The
// admin API routes with it, here and in api.cpp.
bool is_call(const std::vector<std::string>& parts, const std::string& method,
             std::initializer_list<std::string_view> pattern, const char* m);

// Whether a peer may have this node answer a request (the registry's
// admin_atom): only the node's share of what answer_in_cluster and
// cluster_status gather, and a revocation, never the rest of the admin API
// (tokens, drain, ...).
bool peer_may_ask(const std::vector<std::string>& parts,
                  const std::string& method);

// Whether answer_in_cluster answers a request of `method` on `parts`
// ("admin", "v1", ...), the target's path split at '/'.
bool answered_in_cluster(const std::vector<std::string>& parts,
                         const std::string& method);

// The `cluster` member of `status` on a clustered node: the cluster's name,
// how many nodes are live, each node's own counts (its `status?scope=node`),
// their totals, and every node that did not answer, dead ones included
// (docs/cluster.md). Blocks.
boost::json::object cluster_status(const admin_context::cluster_views& cv);

// `target` with `scope=node` added to its query.
std::string node_scoped(const std::string& target);

}  // namespace switchboard::admin
