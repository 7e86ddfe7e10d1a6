#pragma once

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/cluster_e2e/cluster_fixture.hpp"
#include "tests/support/port_cut.hpp"

// What the replication tests and the failover drill share: waiting for
// every shard's copies to be in sync, a sender that keeps every
// acknowledgement, and the check of a conversation's history against them.
namespace switchboard::testing {

using namespace std::chrono_literals;

// Three copies of every shard, and a send rate no test's load reaches.
inline const std::vector<std::string> replicated = {
    "--replicas", "3", "--send-rate", "100000", "--send-burst", "100000"};

// Waits until node `via` shows every shard with `want` in-sync copies.
inline void wait_in_sync(cluster_fixture& cl, int via, std::size_t want) {
  auto deadline = std::chrono::steady_clock::now() + 60s;
  for (;;) {
    auto o = cl.admin_json(via, "shards");
    std::size_t short_of = 0;
    for (auto& s : o["shards"].as_array())
      if (s.as_object().at("isr").as_array().size() != want) ++short_of;
    if (short_of == 0) return;
    INFO(short_of << " shards without " << want << " in-sync copies");
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(50ms);  // a poll of the admin API, not a sync
  }
}

// Three nodes with every shard's copies in sync and leadership spread
// (rebalance), a user homed on `user_node` and a group of it led by
// `conv_node`.
struct replicated_three {
  cluster_fixture cl;
  std::string user;
  std::string conv;
  replicated_three(std::vector<std::string> args, const std::string& user_node,
                   const std::string& conv_node)
      : cl(3, std::move(args)) {
    cl.wait_live(1, 3);
    wait_in_sync(cl, 1, 3);
    cl.rebalance();
    user = user_homed_on(cl, user_node, "alice");
    auto setup = cl.connect(std::stoi(user_node.substr(1)), user);
    conv = group_on(cl, *setup, conv_node, {user});
  }
};

// A client that sends to `conv` until stopped, retrying `unavailable` with
// the same client_msg_id, and keeps every acknowledgement. run() may be
// called again (on another node) after it returned: it goes on with the
// next client_msg_id.
struct sender {
  using clock = std::chrono::steady_clock;
  std::string conv{};
  std::vector<std::pair<std::string, std::uint64_t>> acked{};
  std::atomic<int> acked_n{0};
  std::atomic<int> unavailable{0};
  std::string failure{};
  std::atomic<bool> stop{false};
  int next = 0;  // the next client_msg_id's number
  // The least time from one send to the next: 0 sends each as soon as the
  // last is acknowledged (a closed loop, as fast as the machine goes).
  std::chrono::milliseconds pace{0};
  // The longest time between two acknowledgements, in milliseconds.
  std::int64_t longest_outage_ms = 0;
  // The last acknowledgement: when its send was first issued, and when the
  // ack came (steady clock, nanoseconds since its epoch).
  std::atomic<std::int64_t> last_issued_ns{0};
  std::atomic<std::int64_t> last_acked_ns{0};

  static std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               clock::now().time_since_epoch())
        .count();
  }

  void run(int port, const std::string& token) {
    try {
      auto c = ws_client::connect_retrying(port, token);
      auto last = clock::now();
      for (; !stop; ++next) {
        auto cmid = "k-" + std::to_string(next);
        auto issued = now_ns();
        auto due = clock::now() + pace;
        for (;;) {
          auto r = e2e_fixture::send(*c, conv, "x", cmid);
          if (r["type"] == "sent") {
            acked.emplace_back(cmid, e2e_fixture::u64(r["msg_id"]));
            auto now = clock::now();
            last_acked_ns = now_ns();
            last_issued_ns = issued;
            ++acked_n;
            longest_outage_ms = std::max<std::int64_t>(
                longest_outage_ms,
                std::chrono::duration_cast<std::chrono::milliseconds>(now -
                                                                      last)
                    .count());
            last = now;
            // A rate, not a timed wait for an event.
            std::this_thread::sleep_until(due);
            break;
          }
          if (r["code"] != "unavailable") {
            failure = boost::json::serialize(r);
            return;
          }
          ++unavailable;
          if (stop) return;
          // A pause between retries, shorter than the retry_after_ms a
          // client would honour, so that the outage is measured to 10 ms.
          std::this_thread::sleep_for(10ms);
        }
      }
    } catch (const std::exception& e) {
      failure = e.what();
    }
  }
};

// A sender's thread, stopped and joined when it goes (a failed REQUIRE
// of the test must not leave it running: std::terminate).
class sender_thread {
 public:
  sender_thread(sender& s, int port, std::string token)
      : s_(s), t_([&s, port, token] { s.run(port, token); }) {}
  ~sender_thread() { join(); }
  sender_thread(const sender_thread&) = delete;
  sender_thread& operator=(const sender_thread&) = delete;
  void join() {
    s_.stop = true;
    if (t_.joinable()) t_.join();
  }

 private:
  sender& s_;
  std::thread t_;
};

inline void wait_acks(sender& s, int more) {
  int target = s.acked_n + more;
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (s.acked_n < target && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);  // a poll of the sender's count
  INFO(s.failure);
  REQUIRE(s.acked_n >= target);
}

// Every acknowledged message once, in order, with gap-free msg_ids.
inline void check_history(cluster_fixture& cl, int via, const std::string& user,
                          const sender& s) {
  // Right after a failover the user's shard may still be changing hands:
  // a client reconnects then.
  auto reader = ws_client::connect_retrying(cl.node(via).port(),
                                            cl.node(via).token(user));
  // After a failover the shard answers `unavailable` until a copy took it.
  auto deadline = std::chrono::steady_clock::now() + 30s;
  for (;;) {
    auto h = reader->request(
        {{"type", "sync"}, {"conv_id", s.conv}, {"after", 0}, {"limit", 1}});
    if (h["type"] == "history") break;
    INFO(boost::json::serialize(h));
    REQUIRE(h["code"] == "unavailable");
    REQUIRE(std::chrono::steady_clock::now() < deadline);
  }
  auto history = history_of(*reader, s.conv);
  CHECK(history == s.acked);
  for (std::size_t i = 0; i < history.size(); ++i)
    CHECK(history[i].second == i + 1);
}

// Each node's cluster port, by node id (from the admin API's `nodes`).
inline std::map<std::string, std::string> cluster_ports(cluster_fixture& cl) {
  std::map<std::string, std::string> ports;
  auto nodes = cl.admin_json(1, "nodes");
  for (auto& n : nodes["nodes"].as_array()) {
    auto& o = n.as_object();
    std::string addr(o.at("cluster_addr").as_string());
    ports[std::string(o.at("id").as_string())] =
        addr.substr(addr.rfind(':') + 1);
  }
  return ports;
}

}  // namespace switchboard::testing
