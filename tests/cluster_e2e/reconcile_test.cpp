#include <memory>
#include <sstream>
#include <vector>

#include "tests/cluster_e2e/replication_support.hpp"

// Reconciliation (docs/cluster.md "Replicas, in-sync copies and failover"): a
// copy with a write no other copy has, from a leader that died before it could
// replicate it, comes back truncated to the new leader's log, found by the
// journals' epochs.
using namespace switchboard::testing;
using namespace std::chrono_literals;
namespace json = boost::json;

TEST_CASE(
    "a leader killed with a write its followers never had comes back "
    "truncated to the new leader's log",
    "[cluster][e2e][replication]") {
  if (auto why = no_iptables(); !why.empty()) {
    WARN("skipped: " << why);
    return;
  }
  auto args = replicated;
  // While the cluster's ports are cut, n3 must keep its followers in the
  // ISR (it would drop them after the lag bound): they take its shard over.
  args.insert(args.end(), {"--replica-lag-ms", "60000"});
  replicated_three r(args, "n3", "n3");
  auto& cl = r.cl;
  auto& conv = r.conv;
  auto shard = cl.admin_json(1, "where " + conv)["shard"].as_int64();
  auto on_n1 =
      ws_client::connect_retrying(cl.node(1).port(), cl.node(1).token(r.user));
  auto on_n3 =
      ws_client::connect_retrying(cl.node(3).port(), cl.node(3).token(r.user));
  REQUIRE(e2e_fixture::send(*on_n1, conv, "x", "a")["type"] == "sent");
  // How many groups n3's copy of the shard holds, by its own count.
  auto seq_at_n3 = [&]() -> std::int64_t {
    auto o = cl.admin_json(3, "shards");
    for (auto& s : o["shards"].as_array()) {
      auto& so = s.as_object();
      if (so.at("shard").as_int64() != shard) continue;
      for (auto& c : so.at("replicas").as_array())
        if (c.as_object().at("node") == "n3" && c.as_object().contains("seq"))
          return c.as_object().at("seq").as_int64();
    }
    return -1;
  };
  auto before = seq_at_n3();
  REQUIRE(before > 0);
  // Every node's cluster port cut (etcd still reachable): n3 writes the
  // send to its store and cannot copy it anywhere, so it never
  // acknowledges it.
  std::vector<std::unique_ptr<port_cut>> cuts;
  for (auto& [id, p] : cluster_ports(cl)) {
    cuts.push_back(std::make_unique<port_cut>(port_cut{p}));
    cuts.back()->cut();
  }
  // Once the group's RocksDB write is done, a kill -9 keeps it (the WAL is
  // in the kernel's page cache); the writer counts each write.
  auto writes = [&] {
    return metric(cl.node(3).port(), "switchboard_commit_write_seconds_count");
  };
  auto writes_before = writes();
  on_n3->send(json::object{{"type", "send"},
                           {"conv_id", conv},
                           {"body", "never acknowledged"},
                           {"client_msg_id", "lost"}});
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (seq_at_n3() <= before || writes() <= writes_before) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(50ms);  // a poll of the admin API
  }
  cl.node(3).kill();
  // n3's lease expires; a follower takes the shard at the next epoch. The
  // cut stays until then: n3's kernel still holds the unacknowledged bytes
  // of its sockets, and sends them once the cut heals; by then they carry
  // an epoch that the followers refuse.
  deadline = std::chrono::steady_clock::now() + 30s;
  while (cl.owner_of(conv, 1) == "n3") {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(50ms);  // a poll of the admin API
  }
  for (auto& c : cuts) c->restore();
  auto leader = cl.owner_of(conv, 1);
  for (;;) {  // the new leader serves once it has the shard's copies
    auto sent = e2e_fixture::send(*on_n1, conv, "x", "b");
    if (sent["type"] == "sent") break;
    REQUIRE(sent["code"] == "unavailable");
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(50ms);  // a client's retry pause
  }
  cl.node(3).start();
  cl.wait_live(1, 3);
  wait_in_sync(cl, 1, 3);
  // The new leader brought n3's copy back by truncating the group only n3
  // had, not by a copy of the whole shard.
  auto& lead = cl.node(leader == "n1" ? 1 : 2);
  auto rejoin = [&] {  // the last of n3's joins of the shard
    std::istringstream lines(lead.log());
    std::string last;
    for (std::string line; std::getline(lines, line);)
      if (line.find("\"isr_expanded\"") != std::string::npos &&
          line.find("\"shard\":\"" + std::to_string(shard) + "\"") !=
              std::string::npos &&
          line.find("\"node_id\":\"n3\"") != std::string::npos)
        last = line;
    return last;
  };
  deadline = std::chrono::steady_clock::now() + 10s;
  while (rejoin().find("\"truncated_groups\":\"0\"") != std::string::npos) {
    INFO(rejoin());
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(50ms);  // a poll of the node's log
  }
  INFO(rejoin());
  auto e = json::parse(rejoin()).as_object();
  CHECK(e["truncated_groups"] != "0");
  CHECK(e["copied_keys"] == "0");
  CHECK(e["reconciled_keys"] != "0");
  // n3 leads the shard again: what it serves is what was acknowledged,
  // and the write it alone had is gone.
  auto moved = cl.admin_json(1, "transfer " + std::to_string(shard) + " n3");
  CHECK(moved["owner"] == "n3");
  auto reader = cl.connect(3, r.user);
  auto history = history_of(*reader, conv);
  REQUIRE(history.size() == 2);
  CHECK(history[0] == std::make_pair(std::string("a"), std::uint64_t{1}));
  CHECK(history[1] == std::make_pair(std::string("b"), std::uint64_t{2}));
}
