#include "cluster/shard_record.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "cluster/field_reader.hpp"

namespace switchboard::cluster {

namespace json = boost::json;

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
  if (!r.ok()) return r.failure();
  if (s.state == shard_record::state_kind::owned) s.target.clear();
  return s;
}

}  // namespace switchboard::cluster
