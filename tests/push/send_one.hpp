#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <future>

#include "push/provider.hpp"

namespace switchboard::testing {

// A message of alice's to bob in conversation "c-1", as a push carries it.
inline push::notification alice_to_bob(std::uint64_t msg_id,
                                       std::uint32_t badge) {
  push::notification n;
  n.user_id = "bob";
  n.conv_id = "c-1";
  n.msg_id = msg_id;
  n.sender = "alice";
  n.badge = badge;
  return n;
}

// Sends `n` to `t` through `p` and waits (15 s at most) for how it ended.
inline push::outcome send_one(push::provider& p, const push::target& t,
                              const push::notification& n) {
  std::promise<push::outcome> pr;
  auto f = pr.get_future();
  p.send(t, n, [&](push::outcome o) { pr.set_value(std::move(o)); });
  REQUIRE(f.wait_for(std::chrono::seconds(15)) == std::future_status::ready);
  return f.get();
}

}  // namespace switchboard::testing
