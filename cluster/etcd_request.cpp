#include "cluster/etcd_request.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "cluster/etcd_bytes.hpp"

namespace switchboard::cluster::etcd_request {

namespace json = boost::json;

namespace {

json::string b64(std::string_view bytes) {
  auto s = base64_encode(bytes);
  return json::string(s.data(), s.size());
}

json::string number(std::int64_t n) {
  auto s = std::to_string(n);
  return json::string(s.data(), s.size());
}

json::object key_range(std::string_view key, std::string_view range_end) {
  json::object o;
  o["key"] = b64(key);
  if (!range_end.empty()) o["range_end"] = b64(range_end);
  return o;
}

json::object put_object(std::string_view key, std::string_view value,
                        std::int64_t lease) {
  json::object o;
  o["key"] = b64(key);
  o["value"] = b64(value);
  if (lease != 0) o["lease"] = number(lease);
  return o;
}

const char* target_name(compare::target t) {
  switch (t) {
    case compare::target::create_revision:
      return "CREATE";
    case compare::target::mod_revision:
      return "MOD";
    case compare::target::value:
      return "VALUE";
    case compare::target::version:
      return "VERSION";
  }
  return "CREATE";
}

const char* op_name(compare::op o) {
  switch (o) {
    case compare::op::equal:
      return "EQUAL";
    case compare::op::not_equal:
      return "NOT_EQUAL";
    case compare::op::greater:
      return "GREATER";
    case compare::op::less:
      return "LESS";
  }
  return "EQUAL";
}

json::object compare_object(const compare& c) {
  json::object o;
  o["target"] = target_name(c.what);
  o["result"] = op_name(c.relation);
  o["key"] = b64(c.key);
  // The target's field is always written, also when it is 0: it selects
  // the protobuf oneof, and `create_revision: 0` is "the key is absent".
  switch (c.what) {
    case compare::target::create_revision:
      o["create_revision"] = number(c.number);
      break;
    case compare::target::mod_revision:
      o["mod_revision"] = number(c.number);
      break;
    case compare::target::version:
      o["version"] = number(c.number);
      break;
    case compare::target::value:
      o["value"] = b64(c.value);
      break;
  }
  return o;
}

json::object op_object(const txn_op& op) {
  json::object o;
  switch (op.what) {
    case txn_op::kind::put:
      o["request_put"] = put_object(op.key, op.value, op.lease);
      break;
    case txn_op::kind::range:
      o["request_range"] = key_range(op.key, op.range_end);
      break;
    case txn_op::kind::delete_range:
      o["request_delete_range"] = key_range(op.key, op.range_end);
      break;
  }
  return o;
}

json::array op_array(const std::vector<txn_op>& ops) {
  json::array a;
  for (const auto& op : ops) a.push_back(op_object(op));
  return a;
}

}  // namespace

std::string lease_grant(std::int64_t ttl_s) {
  json::object o;
  o["TTL"] = number(ttl_s);
  return json::serialize(o);
}

std::string lease_id(std::int64_t id) {
  json::object o;
  o["ID"] = number(id);
  return json::serialize(o);
}

std::string put(std::string_view key, std::string_view value,
                std::int64_t lease) {
  return json::serialize(put_object(key, value, lease));
}

std::string range(std::string_view key, std::string_view range_end) {
  return json::serialize(key_range(key, range_end));
}

std::string delete_range(std::string_view key, std::string_view range_end) {
  return json::serialize(key_range(key, range_end));
}

std::string txn(const std::vector<compare>& compares,
                const std::vector<txn_op>& success,
                const std::vector<txn_op>& failure) {
  json::object o;
  json::array cs;
  for (const auto& c : compares) cs.push_back(compare_object(c));
  o["compare"] = std::move(cs);
  o["success"] = op_array(success);
  o["failure"] = op_array(failure);
  return json::serialize(o);
}

std::string watch_create(std::string_view key, std::string_view range_end,
                         std::int64_t start_revision) {
  auto create = key_range(key, range_end);
  if (start_revision != 0) create["start_revision"] = number(start_revision);
  json::object o;
  o["create_request"] = std::move(create);
  return json::serialize(o);
}

}  // namespace switchboard::cluster::etcd_request
