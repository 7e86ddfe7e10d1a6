#include <stdexcept>

#include "app/option_defs.hpp"
#include "storage/shard.hpp"

// The options of a node in a cluster (docs/cluster.md). None of them is
// read without --etcd: a standalone node needs no other server.
namespace switchboard::app {

void add_cluster_options(std::vector<option_def>& d) {
  d.push_back(
      {"etcd",
       "etcd endpoints of the cluster, http://HOST:PORT[,...] (empty: a "
       "standalone node)",
       [](const config& c) { return c.etcd; },
       [](config& c, const std::string& v) {
         if (!v.empty() && v.rfind("http://", 0) != 0 &&
             v.rfind("https://", 0) != 0)
           throw std::invalid_argument(
               "expected http://HOST:PORT[,http://HOST:PORT...], got '" + v +
               "'");
         c.etcd = v;
       }});
  d.push_back(
      {"cluster",
       "name of the cluster: its key prefix in etcd; nodes of "
       "different clusters refuse each other",
       [](const config& c) { return c.cluster; },
       [](config& c, const std::string& v) {
         if (v.empty() || v.find_first_of("/ \t\n") != std::string::npos)
           throw std::invalid_argument(
               "expected a name without '/' or spaces, got '" + v + "'");
         c.cluster = v;
       }});
  d.push_back({"cluster-listen",
               "address of the cluster port (CAF), HOST:PORT; peers connect "
               "to it, so HOST must be reachable from them",
               [](const config& c) { return c.cluster_listen; },
               [](config& c, const std::string& v) { c.cluster_listen = v; }});
  d.push_back(
      {"shards", "shards of a new cluster (only when it is created; 0: 256)",
       [](const config& c) { return std::to_string(c.shards); },
       [](config& c, const std::string& v) {
         c.shards =
             static_cast<std::uint32_t>(parse_int(v, 0, storage::max_shards));
       }});
  d.push_back({"replicas",
               "copies of each shard, 1 to 5, on as many nodes (only when the "
               "cluster is created; 0: 3)",
               [](const config& c) { return std::to_string(c.replicas); },
               [](config& c, const std::string& v) {
                 c.replicas = static_cast<std::uint32_t>(parse_int(v, 0, 5));
               }});
  d.push_back(
      {"min-insync",
       "in-sync copies a write needs before it is acknowledged (only when "
       "the cluster is created; 0: 2, or fewer when a shard has fewer "
       "copies)",
       [](const config& c) { return std::to_string(c.min_insync); },
       [](config& c, const std::string& v) {
         c.min_insync = static_cast<std::uint32_t>(parse_int(v, 0, 5));
       }});
  d.push_back({"replica-lag-ms",
               "milliseconds a follower may take to persist a write before its "
               "leader drops it from the in-sync copies",
               [](const config& c) {
                 return std::to_string(c.lim.replica_lag.count());
               },
               [](config& c, const std::string& v) {
                 c.lim.replica_lag =
                     std::chrono::milliseconds(parse_int(v, 50, 60000));
               }});
  d.push_back({"lease-ttl-s",
               "seconds without etcd after which the node is dead to the "
               "cluster (and stops taking writes a little before)",
               [](const config& c) { return std::to_string(c.lease_ttl_s); },
               [](config& c, const std::string& v) {
                 c.lease_ttl_s = static_cast<int>(parse_int(v, 2, 300));
               }});
}

}  // namespace switchboard::app
