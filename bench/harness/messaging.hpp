#pragma once

#include "bench/harness/options.hpp"
#include "bench/harness/results.hpp"

namespace switchboard::bench {

// The `direct` and `group` scenarios: users in pairs (each sends to its
// peer, the peer acks) or in groups of options.group_size (all online, all
// send). Checks, while it loads, that every send is acknowledged once, that
// every recipient gets each message exactly once, and that msg_ids arrive
// increasing and without gaps per conversation.
results run_messaging(const options& o);

}  // namespace switchboard::bench
