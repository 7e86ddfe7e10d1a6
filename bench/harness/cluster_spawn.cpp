#include "bench/harness/cluster_spawn.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace switchboard::bench {

namespace json = boost::json;
using clock_type = std::chrono::steady_clock;

spawned_cluster::spawned_cluster(const std::string& binary,
                                 const std::string& secret, int n,
                                 bool progress,
                                 const std::vector<std::string>& extra)
    : binary_(binary) {
  auto begun = clock_type::now();
  for (int i = 1; i <= n; ++i) {
    std::vector<std::string> args{"--etcd",           etcd_.url(),
                                  "--node-id",        "n" + std::to_string(i),
                                  "--cluster-listen", "127.0.0.1:0"};
    args.insert(args.end(), extra.begin(), extra.end());
    nodes_.push_back(std::make_unique<spawned_node>(binary, secret, args));
  }
  wait_live(nodes_.size());
  rebalance(progress);
  if (progress)
    std::fprintf(
        stderr, "cluster of %d nodes ready in %.1f s (etcd %s)\n", n,
        std::chrono::duration<double>(clock_type::now() - begun).count(),
        etcd_.url().c_str());
}

spawned_cluster::~spawned_cluster() {
  for (auto& n : nodes_) n->terminate();  // they drain at once, together
  nodes_.clear();
}

std::vector<endpoint> spawned_cluster::endpoints() const {
  std::vector<endpoint> out;
  for (auto& n : nodes_) out.push_back({"127.0.0.1", n->port()});
  return out;
}

std::string shard_map_view(const std::string& shards_json) {
  std::string v;
  auto o = json::parse(shards_json).as_object();
  for (auto& s : o.at("shards").as_array()) {
    auto& r = s.as_object();
    v += json::serialize(r.at("owner")) + "/" + json::serialize(r.at("epoch")) +
         "/" + json::serialize(r.at("state")) + ";";
  }
  return v;
}

std::vector<int> spawned_cluster::pids() const {
  std::vector<int> out;
  for (auto& n : nodes_) out.push_back(n->pid());
  return out;
}

std::string spawned_cluster::admin(const std::string& command, std::size_t i) {
  auto& n = *nodes_.at(i);
  std::string out;
  int status = run_child({binary_, "admin", "--node",
                          "127.0.0.1:" + std::to_string(n.admin_port()),
                          "--token", n.admin_token(), "--json", "-c", command},
                         out);
  if (status != 0)
    throw std::runtime_error("`switchboard admin -c " + command +
                             "` failed (status " + std::to_string(status) +
                             "): " + out);
  return out;
}

void spawned_cluster::wait_live(std::size_t want) {
  auto deadline = clock_type::now() + std::chrono::seconds(20);
  std::size_t live = 0;
  while (clock_type::now() < deadline) {
    auto v = json::parse(admin("nodes"));
    live = 0;
    for (auto& node : v.as_object().at("nodes").as_array())
      if (node.as_object().at("live").as_bool()) ++live;
    if (live == want) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  throw std::runtime_error("n1 sees " + std::to_string(live) + " of " +
                           std::to_string(want) + " nodes live after 20 s");
}

void spawned_cluster::wait_same_map() {
  auto view = [this](std::size_t i) {
    return shard_map_view(admin("shards", i));
  };
  auto want = view(0);
  auto deadline = clock_type::now() + std::chrono::seconds(20);
  for (std::size_t i = 1; i < nodes_.size(); ++i)
    while (view(i) != want) {
      if (clock_type::now() > deadline)
        throw std::runtime_error("n" + std::to_string(i + 1) +
                                 " does not see n1's shard map after 20 s");
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

void spawned_cluster::rebalance(bool progress) {
  auto begun = clock_type::now();
  auto r = json::parse(admin("rebalance")).as_object();
  if (r.at("failed").to_number<std::int64_t>() != 0)
    throw std::runtime_error("rebalance: " + json::serialize(r));
  wait_same_map();
  auto v = json::parse(admin("nodes")).as_object();
  std::string owned;
  for (auto& node : v.at("nodes").as_array()) {
    auto& o = node.as_object();
    auto shards = o.at("shards").to_number<std::int64_t>();
    if (shards == 0)
      throw std::runtime_error("after rebalance " +
                               std::string(o.at("id").as_string()) +
                               " owns no shard: " + json::serialize(v));
    owned += (owned.empty() ? "" : " ") + std::string(o.at("id").as_string()) +
             ":" + std::to_string(shards);
  }
  if (progress)
    std::fprintf(
        stderr, "rebalance moved %lld shards in %.1f s; shards owned %s\n",
        static_cast<long long>(r.at("moved").to_number<std::int64_t>()),
        std::chrono::duration<double>(clock_type::now() - begun).count(),
        owned.c_str());
}

}  // namespace switchboard::bench
