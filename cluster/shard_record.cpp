#include "cluster/shard_record.hpp"

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "cluster/field_reader.hpp"

namespace switchboard::cluster {

namespace json = boost::json;

namespace {

bool contains(const std::vector<std::string>& ids, std::string_view id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

json::array to_array(const std::vector<std::string>& ids) {
  json::array a;
  for (const auto& id : ids) a.emplace_back(json::string_view(id));
  return a;
}

// The array `name` of node ids; a missing one reads as empty, and `present`
// says which it was.
std::vector<std::string> read_ids(etcd_json::field_reader& r,
                                  const json::object& o, std::string_view name,
                                  bool& present) {
  present = o.contains(name);
  std::vector<std::string> out;
  for (const auto& v : r.array(o, name)) {
    auto* s = v.if_string();
    if (!s) {
      r.fail(name, "an element is not a string");
      return {};
    }
    if (s->empty()) r.fail(name, "an empty node id");
    std::string id(s->data(), s->size());
    if (contains(out, id)) r.fail(name, "node " + id + " twice");
    out.push_back(std::move(id));
  }
  return out;
}

}  // namespace

std::string_view to_string(shard_record::state_kind s) noexcept {
  switch (s) {
    case shard_record::state_kind::owned:
      return "owned";
    case shard_record::state_kind::moving:
      return "moving";
  }
  return "unknown";
}

std::string encode_shard(const shard_record& s) {
  json::object o;
  o["owner"] = s.owner;
  o["epoch"] = s.epoch;
  auto state = to_string(s.state);
  o["state"] = json::string_view(state.data(), state.size());
  if (s.state == shard_record::state_kind::moving) o["target"] = s.target;
  bool bare = s.replicas.empty() && s.isr.empty();
  o["replicas"] =
      to_array(bare ? std::vector<std::string>{s.owner} : s.replicas);
  o["isr"] = to_array(bare ? std::vector<std::string>{s.owner} : s.isr);
  return json::serialize(o);
}

result<shard_record> decode_shard(std::string_view value) {
  etcd_json::field_reader r("shard record");
  const auto& o = r.parse_object(value);
  shard_record s;
  s.owner = r.text(o, "owner");
  s.epoch = r.i64(o, "epoch");
  auto state = r.text(o, "state");
  s.target = r.text(o, "target");
  bool has_replicas = false, has_isr = false;
  s.replicas = read_ids(r, o, "replicas", has_replicas);
  s.isr = read_ids(r, o, "isr", has_isr);
  if (state == "owned")
    s.state = shard_record::state_kind::owned;
  else if (state == "moving")
    s.state = shard_record::state_kind::moving;
  else
    r.fail("state", "not \"owned\" or \"moving\"");
  if (s.owner.empty()) r.fail("owner", "missing");
  if (s.epoch < 1) r.fail("epoch", "below 1");
  if (s.state == shard_record::state_kind::moving && s.target.empty())
    r.fail("target", "missing while moving");
  if (!has_replicas && !has_isr) {
    // Written before replication: the owner holds the only copy.
    s.replicas = {s.owner};
    s.isr = {s.owner};
  } else if (!has_replicas) {
    r.fail("replicas", "missing while isr is present");
  } else if (!has_isr) {
    r.fail("isr", "missing while replicas is present");
  }
  if (s.replicas.size() > cluster_meta::max_replicas)
    r.fail("replicas",
           "more than " + std::to_string(cluster_meta::max_replicas));
  for (const auto& id : s.isr)
    if (!contains(s.replicas, id))
      r.fail("isr", "node " + id + " is not a replica");
  if (!s.owner.empty() && !contains(s.isr, s.owner))
    r.fail("isr", "does not hold the owner " + s.owner);
  if (!r.ok()) return r.failure();
  if (s.state == shard_record::state_kind::owned) s.target.clear();
  return s;
}

bool in_isr(const shard_record& s, std::string_view node) {
  return contains(s.isr, node);
}

bool is_replica(const shard_record& s, std::string_view node) {
  return contains(s.replicas, node);
}

}  // namespace switchboard::cluster
