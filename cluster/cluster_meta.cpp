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
  if (shards < 1 || shards > cluster_meta::max_shards)
    r.fail("shards", "not in 1..65536");
  if (!r.ok()) return r.failure();
  m.shards = static_cast<std::uint32_t>(shards);
  return m;
}

}  // namespace switchboard::cluster
