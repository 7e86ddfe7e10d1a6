#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "tests/cluster_e2e/replication_support.hpp"

// The failover drill (docs/benchmarks.md, "Failover"): three nodes, three
// copies, the default 5 s lease, and FAILOVER_DRILL_FAULTS (not SWITCHBOARD_*:
// the nodes refuse variables of theirs they do not know) (default 20)
// kill -9s of the leader of a conversation under load, each followed by the
// node's restart and its catch-up. Prints the time from each kill to the
// first acknowledgement of a send issued after it, and counts acknowledged
// messages lost, duplicated or out of order (which must be none). Hidden
// from CTest (it takes minutes): run it with
//   build/tests/test_cluster_e2e "[.drill]"
using namespace switchboard::testing;
namespace json = boost::json;

TEST_CASE("failover drill: kill -9 of a leader, again and again", "[.drill]") {
  int faults = 20;
  if (const char* f = std::getenv("FAILOVER_DRILL_FAULTS"))
    faults = std::max(1, std::atoi(f));
  replicated_three r({"--replicas", "3", "--send-rate", "100000",
                      "--send-burst", "100000", "--lease-ttl-s", "5"},
                     "n1", "n1");
  auto& cl = r.cl;
  auto& alice_id = r.user;
  auto& conv = r.conv;

  sender s;
  s.conv = conv;
  std::vector<double> failover_ms;
  for (int f = 0; f < faults; ++f) {
    auto victim = cl.owner_of(conv, 1);
    int v = std::stoi(victim.substr(1));
    int via = v % 3 + 1;  // a node that lives through this fault
    s.stop = false;
    sender_thread t(s, cl.node(via).port(), cl.node(via).token(alice_id));
    wait_acks(s, 20);
    auto killed_ns = sender::now_ns();
    cl.node(v).kill();
    if (std::getenv("FAILOVER_DRILL_LOG")) {
      auto line = cl.node(via).wait_log({"peer_down"}, 8000ms);
      std::cout << "  peer_down after "
                << double(sender::now_ns() - killed_ns) / 1e6 << " ms: " << line
                << std::endl;
    }
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while (s.last_issued_ns <= killed_ns &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(1ms);  // a poll of the sender's acks
    REQUIRE(s.last_issued_ns > killed_ns);
    failover_ms.push_back(double(s.last_acked_ns - killed_ns) / 1e6);
    std::cout << "fault " << f + 1 << ": killed " << victim << ", sends "
              << "accepted again after " << failover_ms.back() << " ms"
              << std::endl;
    if (std::getenv("FAILOVER_DRILL_LOG")) {  // the events of the fault
      std::istringstream lines(cl.node(via).log());
      for (std::string line; std::getline(lines, line);)
        for (auto* e : {"peer_", "node_", "shard_taken_over", "isr_expanded",
                        "isr_shrunk", "replica_behind", "replicated_write"})
          if (line.find(e) != std::string::npos) {
            std::cout << "  " << line << "\n";
            break;
          }
      std::cout << "  killed at " << killed_ns << std::endl;
    }
    wait_acks(s, 20);
    s.stop = true;
    t.join();
    INFO(s.failure);
    REQUIRE(s.failure.empty());
    cl.node(v).start();
    cl.wait_live(via, 3);
    wait_in_sync(cl, via, 3);
  }

  // Every acknowledged message once, in order, gap-free.
  auto reader = cl.connect(1, alice_id);
  auto history = history_of(*reader, conv);
  std::map<std::string, int> seen;
  for (auto& [cmid, id] : history) ++seen[cmid];
  std::size_t lost = 0, doubled = 0, misplaced = 0;
  std::map<std::string, std::uint64_t> at;
  for (auto& [cmid, id] : history) at[cmid] = id;
  for (auto& [cmid, id] : s.acked) {
    if (!seen.count(cmid))
      ++lost;
    else if (at[cmid] != id)
      ++misplaced;
  }
  for (auto& [cmid, n] : seen)
    if (n > 1) doubled += static_cast<std::size_t>(n - 1);
  for (std::size_t i = 0; i < history.size(); ++i)
    if (history[i].second != i + 1) ++misplaced;
  auto sorted = failover_ms;
  std::sort(sorted.begin(), sorted.end());
  auto pct = [&](double p) {
    return sorted[std::min(sorted.size() - 1,
                           static_cast<std::size_t>(p * sorted.size()))];
  };
  std::cout << "failovers: " << sorted.size() << ", min " << sorted.front()
            << " ms, p50 " << pct(0.5) << " ms, p90 " << pct(0.9) << " ms, max "
            << sorted.back() << " ms\n"
            << "acknowledged " << s.acked.size() << ", lost " << lost
            << ", duplicated " << doubled << ", out of place " << misplaced
            << ", unavailable answers " << s.unavailable.load() << std::endl;
  CHECK(lost == 0);
  CHECK(doubled == 0);
  CHECK(misplaced == 0);
}
