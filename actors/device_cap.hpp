#pragma once

#include <string>

#include "actors/node_context.hpp"

namespace switchboard::actors {

// After a device of `user` was registered at the user's owner (this node):
// drops the devices registered longest ago past limits::max_devices_per_user,
// so that no user can make its owner keep, and push to, an unbounded
// number of endpoints. Reads and writes on the I/O pool and the store's
// writer; a failure is logged. Nothing when the user's shard is not here.
void trim_devices(node_context& ctx, const std::string& user);

}  // namespace switchboard::actors
