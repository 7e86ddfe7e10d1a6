#include "tests/cluster_e2e/cluster_fixture.hpp"

#include <chrono>
#include <sstream>
#include <thread>

#include "cluster/placement.hpp"

namespace switchboard::testing {

namespace json = boost::json;

std::string user_homed_on(cluster_fixture& c, const std::string& node,
                          const std::string& stem) {
  std::vector<std::string> ids;
  for (std::size_t i = 1; i <= c.nodes.size(); ++i)
    ids.push_back("n" + std::to_string(i));
  for (int k = 0; k < 1000; ++k) {
    auto id = stem + std::to_string(k);
    auto shard = storage::shard_of(id, cluster_fixture::shards);
    if (cluster::place_shard(shard, ids) == node) {
      // What the cluster says, not only what placement predicts.
      REQUIRE(c.owner_of(id) == node);
      return id;
    }
  }
  FAIL("no user id of stem " << stem << " lands on " << node);
  return {};
}

std::string user_placed_on(const std::string& node,
                           const std::vector<std::string>& nodes,
                           const std::string& stem) {
  for (int k = 0; k < 1000; ++k) {
    auto id = stem + std::to_string(k);
    auto shard = storage::shard_of(id, cluster_fixture::shards);
    if (cluster::place_shard(shard, nodes) == node) return id;
  }
  FAIL("no user id of stem " << stem << " is placed on " << node);
  return {};
}

boost::json::object status_of(const boost::json::object& presence,
                              const std::string& id) {
  for (auto& s : presence.at("statuses").as_array())
    if (s.as_object().at("user_id") == id.c_str()) return s.as_object();
  FAIL("no status of " << id);
  return {};
}

std::string group_on(cluster_fixture& cl, ws_client& c, const std::string& node,
                     std::vector<std::string> members) {
  json::array m;
  for (auto& u : members) m.emplace_back(u);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (int i = 0; i < 64;) {
    auto r = c.request({{"type", "create"},
                        {"kind", "group"},
                        {"members", m},
                        {"title", "t"}});
    INFO(json::serialize(r));
    // A cluster that has just formed may answer `unavailable` for a
    // member's node a moment longer: retry as PROTOCOL.md asks a client to.
    if (r["type"] == "error" && r["code"] == "unavailable") {
      if (std::chrono::steady_clock::now() >= deadline) {
        // What the nodes said meanwhile: their warnings and errors.
        for (std::size_t k = 0; k < cl.nodes.size(); ++k) {
          std::istringstream lines(cl.nodes[k]->log());
          for (std::string line; std::getline(lines, line);)
            if (line.find("\"level\":\"warn\"") != std::string::npos ||
                line.find("\"level\":\"error\"") != std::string::npos)
              UNSCOPED_INFO("n" << k + 1 << ": " << line);
        }
        FAIL("create answered unavailable for 20 s");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(
          json::value_to<std::int64_t>(r["retry_after_ms"])));
      continue;
    }
    REQUIRE(r["type"] == "created");
    auto conv = std::string(r["conv_id"].as_string());
    if (cl.owner_of(conv) == node) return conv;
    ++i;
  }
  FAIL("no group landed on " << node);
  return {};
}

std::vector<std::pair<std::string, std::uint64_t>> history_of(
    ws_client& c, const std::string& conv) {
  std::vector<std::pair<std::string, std::uint64_t>> history;
  std::uint64_t after = 0;
  for (;;) {
    auto h = c.request({{"type", "sync"},
                        {"conv_id", conv},
                        {"after", after},
                        {"limit", 200}});
    REQUIRE(h["type"] == "history");
    for (auto& m : h["messages"].as_array()) {
      auto& o = m.as_object();
      after = e2e_fixture::u64(o.at("msg_id"));
      history.emplace_back(std::string(o.at("client_msg_id").as_string()),
                           after);
    }
    if (h["has_more"] == false) return history;
  }
}

}  // namespace switchboard::testing
