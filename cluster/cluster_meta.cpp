#include "cluster/cluster_meta.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "cluster/field_reader.hpp"

namespace switchboard::cluster {

namespace json = boost::json;

std::string encode_meta(const cluster_meta& m) {
  json::object o;
  o["shards"] = m.shards;
  o["format"] = m.format;
  o["created_ms"] = m.created_ms;
  o["version"] = m.version;
  o["replicas"] = m.replicas;
  o["min_insync"] = m.min_insync;
  return json::serialize(o);
}

result<cluster_meta> decode_meta(std::string_view value) {
  etcd_json::field_reader r("cluster meta");
  const auto& o = r.parse_object(value);
  cluster_meta m;
  auto shards = r.i64(o, "shards");
  m.format = r.i64(o, "format");
  m.created_ms = r.i64(o, "created_ms");
  m.version = r.text(o, "version");
  // Absent in the meta of a cluster created before replication: one copy.
  auto replicas = o.contains("replicas") ? r.i64(o, "replicas") : 1;
  auto min_insync = o.contains("min_insync") ? r.i64(o, "min_insync") : 1;
  if (shards < 1 || shards > cluster_meta::max_shards)
    r.fail("shards", "not in 1..65536");
  if (replicas < 1 || replicas > cluster_meta::max_replicas)
    r.fail("replicas",
           "not in 1.." + std::to_string(cluster_meta::max_replicas));
  if (min_insync < 1 || min_insync > replicas)
    r.fail("min_insync",
           "not in 1..replicas (" + std::to_string(replicas) + ")");
  if (!r.ok()) return r.failure();
  m.shards = static_cast<std::uint32_t>(shards);
  m.replicas = static_cast<std::uint32_t>(replicas);
  m.min_insync = static_cast<std::uint32_t>(min_insync);
  return m;
}

}  // namespace switchboard::cluster
