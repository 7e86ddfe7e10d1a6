#pragma once

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "auth/jwt.hpp"
#include "tests/support/node_process.hpp"
#include "tests/support/ws_client.hpp"

namespace switchboard::testing {

namespace json = boost::json;

// A node and helpers to talk to it as clients do.
struct e2e_fixture {
  node_process node;

  explicit e2e_fixture(std::vector<std::string> args = {},
                       std::vector<std::string> env = {})
      : node(std::move(args), std::move(env)) {}

  std::unique_ptr<ws_client> connect(const std::string& user) {
    return std::make_unique<ws_client>(node.port(), node.token(user));
  }

  // Creates a conversation through `c` and returns its conv_id.
  static std::string create(ws_client& c, const std::string& kind,
                            std::vector<std::string> members,
                            const std::string& title = {}) {
    json::array m;
    for (auto& u : members) m.emplace_back(u);
    json::object f{{"type", "create"}, {"kind", kind}, {"members", m}};
    if (!title.empty()) f["title"] = title;
    auto r = c.request(f);
    INFO(json::serialize(r));
    REQUIRE(r["type"] == "created");
    return std::string(r["conv_id"].as_string());
  }

  static json::object send(ws_client& c, const std::string& conv,
                           const std::string& body, const std::string& cmid) {
    return c.request({{"type", "send"},
                      {"conv_id", conv},
                      {"client_msg_id", cmid},
                      {"body", body}});
  }

  // Sends m1..mN (client_msg_ids PREFIX1..) without waiting for answers,
  // so that they reach the node as a burst.
  static void send_pipelined(ws_client& c, const std::string& conv, int n,
                             const std::string& prefix) {
    for (int i = 1; i <= n; ++i)
      c.send(json::object{{"type", "send"},
                          {"conv_id", conv},
                          {"client_msg_id", prefix + std::to_string(i)},
                          {"body", "m" + std::to_string(i)}});
  }

  // The next n `message` events of `c` are m1..mN of a fresh conversation:
  // each once, in order.
  static void expect_in_order(ws_client& c, int n) {
    for (int i = 1; i <= n; ++i) {
      auto m = c.expect("message");
      CHECK(m["msg_id"] == i);
      CHECK(m["body"] == ("m" + std::to_string(i)).c_str());
    }
  }

  // Every msg_id of `conv`, oldest first, read page by page with sync.
  static std::vector<std::uint64_t> history_ids(ws_client& c,
                                                const std::string& conv) {
    std::vector<std::uint64_t> ids;
    std::uint64_t after = 0;
    for (;;) {
      auto h = c.request({{"type", "sync"},
                          {"conv_id", conv},
                          {"after", after},
                          {"limit", 200}});
      REQUIRE(h["type"] == "history");
      for (auto& m : h["messages"].as_array()) {
        after = json::value_to<std::uint64_t>(m.as_object().at("msg_id"));
        ids.push_back(after);
      }
      if (h["has_more"] == false) return ids;
    }
  }

  // Waits (up to `wait`) for a presence event whose status of `user`
  // satisfies `want`: a subscription may first repeat the status it has.
  template <class Want>
  static void expect_status(
      ws_client& watcher, const std::string& user, Want want,
      std::chrono::seconds wait = std::chrono::seconds(10)) {
    auto deadline = std::chrono::steady_clock::now() + wait;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      REQUIRE(left.count() > 0);
      auto p = watcher.wait_for("presence", left);
      REQUIRE(p);
      for (auto& s : (*p)["statuses"].as_array())
        if (s.as_object().at("user_id") == user.c_str() && want(s.as_object()))
          return;
    }
  }

  // ... one that shows `user` as a stranger is shown: offline, last_seen
  // null.
  static void expect_hidden(ws_client& watcher, const std::string& user) {
    expect_status(watcher, user, [](const json::object& o) {
      return o.at("online") == false && o.at("last_seen").is_null();
    });
  }

  static std::uint64_t u64(const json::value& v) {
    return json::value_to<std::uint64_t>(v);
  }
};

// A node whose send rate limit no test reaches.
struct unlimited_fixture : e2e_fixture {
  unlimited_fixture()
      : e2e_fixture({"--send-rate", "1000000", "--send-burst", "1000000"}) {}
};

inline std::string str(const json::value& v) {
  return std::string(v.as_string());
}

// A sample of the node's /metrics ("name{labels}"), 0 when absent.
inline double metric(std::uint16_t port, const std::string& series) {
  auto r = http_request(port, "GET", "/metrics");
  std::istringstream in(r.body);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(series + " ", 0) == 0)
      return std::stod(line.substr(series.size() + 1));
  return 0;
}

// Waits (20 s at most) until the node's metric `series` is at least `want`.
inline void wait_metric(node_process& n, const std::string& series,
                        double want) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (metric(n.port(), series) < want) {
    INFO(series << " below " << want);
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    // A poll of /metrics, not a sync.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace switchboard::testing
