#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "actors/directory.hpp"

// Deliveries to users whose shard changes hands (docs/ARCHITECTURE.md
// "cluster/"). A user's connections are reached through the user's actor
// at the leader of the user's shard. While the shard moves, fails over,
// pauses for a copy, or has lately become its node's, that actor is gone
// or does not know every connection yet: each registers again when its
// node sees the new routes. A delivery decided then goes to every node
// instead, each handing it to its own connections of the user, so that no
// connection misses what was sent meanwhile, and each gets it once: one
// node decides each delivery, by one path.
namespace switchboard::actors {

enum class delivery_path : std::uint8_t {
  actor,       // the user's actor here: the shard is here, and settled
  owner,       // the registry of the shard's leader, which decides
  everywhere,  // every node's connections of the user (stray_atom)
};

// How a delivery decided on this node at `now` goes, by the route of the
// user's shard here. A shard without a reachable leader for longer than a
// connection waits for one (directory::leaderless_time) has no connection
// left to reach but through a user's actor still active here (its node
// lost etcd, say): `actor`.
delivery_path path_of(const directory::shard_route& r,
                      std::chrono::steady_clock::time_point now);
// The same for `user_id` by `routes` (directory::routes(); null: a
// standalone node's, where every user's actor is here).
delivery_path path_of(const std::vector<directory::shard_route>* routes,
                      const std::string& user_id,
                      std::chrono::steady_clock::time_point now);

// `text` (but to the connection `except`) for the connections of `users`
// on every node: this node's, and the peers' through their registries.
void deliver_everywhere(node_context& ctx,
                        const std::vector<std::string>& users,
                        const std::string& text, const std::string& except,
                        bool chat_message);
// The texts of one write, texts[i] but to the connection excepts[i].
void deliver_everywhere(node_context& ctx,
                        const std::vector<std::string>& users,
                        const std::vector<std::string>& texts,
                        const std::vector<std::string>& excepts);

// A delivery to every node, for this node's connections of `users`.
void deliver_strays_here(node_context& ctx,
                         const std::vector<std::string>& users,
                         const std::string& text, const std::string& except,
                         bool chat_message);
void deliver_strays_here(node_context& ctx,
                         const std::vector<std::string>& users,
                         const std::vector<std::string>& texts,
                         const std::vector<std::string>& excepts);

}  // namespace switchboard::actors
