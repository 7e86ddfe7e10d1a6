#include "cluster/node_record.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "cluster/field_reader.hpp"

namespace switchboard::cluster {

namespace json = boost::json;

std::string encode_node(const node_record& n) {
  json::object o;
  o["id"] = n.id;
  o["cluster_addr"] = n.cluster_addr;
  o["client_addr"] = n.client_addr;
  o["admin_addr"] = n.admin_addr;
  o["incarnation"] = n.incarnation;
  o["version"] = n.version;
  o["started_ms"] = n.started_ms;
  return json::serialize(o);
}

result<node_record> decode_node(std::string_view value) {
  etcd_json::field_reader r("node record");
  const auto& o = r.parse_object(value);
  node_record n;
  n.id = r.text(o, "id");
  n.cluster_addr = r.text(o, "cluster_addr");
  n.client_addr = r.text(o, "client_addr");
  n.admin_addr = r.text(o, "admin_addr");
  n.incarnation = r.i64(o, "incarnation");
  n.version = r.text(o, "version");
  n.started_ms = r.i64(o, "started_ms");
  if (r.ok() && n.id.empty()) r.fail("id", "missing");
  if (!r.ok()) return r.failure();
  return n;
}

}  // namespace switchboard::cluster
