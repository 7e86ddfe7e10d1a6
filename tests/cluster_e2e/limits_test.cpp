#include <chrono>
#include <thread>

#include "tests/cluster_e2e/cluster_fixture.hpp"

using namespace switchboard::testing;
namespace json = boost::json;

TEST_CASE("a user's rate budget is one for the whole cluster, not one per node",
          "[cluster]") {
  // A slow refill, so that what gets through is the burst.
  cluster_fixture cl(
      3, {"--send-rate", "0.5", "--send-burst", "10", "--rate-ping", "0.5/6"});
  cl.rebalance();
  // The user's buckets are at n3; its sends go to conversations owned by
  // n1 and n2, which check them there.
  auto user = user_homed_on(cl, "n3", "limited");
  auto c = cl.connect(1, user);
  auto on1 = group_on(cl, *c, "n1", {"bob"});
  auto on2 = group_on(cl, *c, "n2", {"bob"});

  auto start = std::chrono::steady_clock::now();
  int sent = 0, limited = 0;
  for (int i = 0; i < 40; ++i) {
    auto r = e2e_fixture::send(*c, i % 2 ? on2 : on1, "m", std::to_string(i));
    if (r["type"] == "sent") {
      ++sent;
    } else {
      INFO(json::serialize(r));
      REQUIRE(r["code"] == "rate_limited");
      CHECK(json::value_to<std::int64_t>(r["retry_after_ms"]) > 0);
      ++limited;
    }
  }
  auto seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  // One bucket: its burst, what refilled meanwhile, and the credit each
  // node gives while its loan is on its way: one send when loans come back
  // at once, a few more when the machine is loaded and they are slow (seen
  // 14 under `ctest -j2`; budget_slices.hpp allows up to a burst). A
  // bucket per node would have let 20 through.
  INFO("sent " << sent << " in " << seconds << " s");
  CHECK(sent >= 8);
  CHECK(sent <= 10 + static_cast<int>(seconds * 0.5) + 2 * 3);
  CHECK(limited == 40 - sent);
  // Both nodes borrowed from n3.
  for (int i : {1, 2})
    CHECK(metric(cl.node(i).port(),
                 "switchboard_cluster_requests_total{kind=\"budget\","
                 "outcome=\"ok\"}") > 0);

  // A burst within the budget, pipelined at a node that must borrow, is
  // not refused while the loan is on its way.
  auto piper = user_homed_on(cl, "n3", "piper");
  auto p = cl.connect(1, piper);
  auto conv1 = group_on(cl, *p, "n1", {"bob"});
  for (int i = 0; i < 10; ++i)
    p->send(json::object{{"type", "send"},
                         {"conv_id", conv1},
                         {"client_msg_id", "p" + std::to_string(i)},
                         {"body", "m"}});
  for (int i = 0; i < 10; ++i) CHECK(p->expect("sent")["type"] == "sent");
  CHECK_FALSE(p->has("error"));

  // Budgets checked where the client is connected (ping) are the same one
  // bucket, from two connections on two nodes that do not own the user.
  auto on_n1 = cl.connect(1, user);
  auto on_n2 = cl.connect(2, user);
  int pongs = 0;
  for (int i = 0; i < 20; ++i) {
    auto r = (i % 2 ? on_n2 : on_n1)->request({{"type", "ping"}});
    if (r["type"] == "pong") ++pongs;
  }
  CHECK(pongs >= 4);
  // The bucket's burst, and at most a burst of credit per node while its
  // loans are on its way (budget_slices.hpp; seen 13 under a loaded
  // `ctest -j2`): fewer than the 20 asked. The sends above are what tells
  // one bucket from one per node; this says pings are limited at all.
  CHECK(pongs <= 6 + 2 * 6);

  // The user's home dies: its requests elsewhere go on, under a bucket of
  // the node that checks them (the budget here is spent, so a fresh user
  // of n3 shows it).
  auto other = user_homed_on(cl, "n3", "orphan");
  auto o = cl.connect(1, other);
  auto conv = group_on(cl, *o, "n1", {"bob"});
  cl.node(3).kill();
  // Until this node sees the owner gone (a loan that does not come back,
  // or the lease), the credit it gives is a slice; a client that waits
  // retry_after_ms, as PROTOCOL.md asks, gets each send through.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (int i = 0; i < 5; ++i) {
    for (;;) {
      auto r = e2e_fixture::send(*o, conv, "m", "o" + std::to_string(i));
      INFO(json::serialize(r));
      if (r["type"] == "sent") break;
      REQUIRE(r["code"] == "rate_limited");
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      // The protocol's pacing of a retry, not a wait for the test.
      std::this_thread::sleep_for(std::chrono::milliseconds(
          json::value_to<std::int64_t>(r["retry_after_ms"])));
    }
  }
}
