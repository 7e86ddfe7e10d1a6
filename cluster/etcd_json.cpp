#include "cluster/etcd_json.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <string>

#include "cluster/field_reader.hpp"

namespace switchboard::cluster::etcd_json {

namespace json = boost::json;

namespace {

// The top-level object of `body`, or nothing (with the reason in `r`).
bool parse_object(std::string_view body, json::value& out, field_reader& r) {
  boost::system::error_code ec;
  out = json::parse(json::string_view(body.data(), body.size()), ec);
  if (ec) {
    r.fail("body", "not JSON (" + ec.message() + ")");
    return false;
  }
  if (!out.is_object()) {
    r.fail("body", "not an object");
    return false;
  }
  return true;
}

response_header read_header(const json::object& o, field_reader& r) {
  const auto& h = r.object(o, "header");
  response_header out;
  out.cluster_id = r.u64(h, "cluster_id");
  out.member_id = r.u64(h, "member_id");
  out.revision = r.i64(h, "revision");
  out.raft_term = r.u64(h, "raft_term");
  return out;
}

key_value read_kv(const json::object& o, field_reader& r) {
  key_value kv;
  kv.key = r.bytes(o, "key");
  kv.value = r.bytes(o, "value");
  kv.create_revision = r.i64(o, "create_revision");
  kv.mod_revision = r.i64(o, "mod_revision");
  kv.version = r.i64(o, "version");
  kv.lease = r.i64(o, "lease");
  return kv;
}

std::vector<key_value> read_kvs(const json::object& o, std::string_view name,
                                field_reader& r) {
  std::vector<key_value> out;
  for (const auto& v : r.array(o, name))
    out.push_back(read_kv(r.element(v, name), r));
  return out;
}

range_result read_range(const json::object& o, field_reader& r) {
  range_result out;
  out.header = read_header(o, r);
  out.kvs = read_kvs(o, "kvs", r);
  out.count = r.i64(o, "count");
  out.more = r.boolean(o, "more");
  return out;
}

txn_op_result read_op_result(const json::object& o, field_reader& r) {
  txn_op_result out;
  if (o.contains("response_range")) {
    out.what = txn_op::kind::range;
    auto got = read_range(r.object(o, "response_range"), r);
    out.kvs = std::move(got.kvs);
    out.count = got.count;
  } else if (o.contains("response_delete_range")) {
    out.what = txn_op::kind::delete_range;
    out.deleted = r.i64(r.object(o, "response_delete_range"), "deleted");
  } else if (o.contains("response_put")) {
    out.what = txn_op::kind::put;
    (void)r.object(o, "response_put");  // only checks that it is an object
  } else {
    r.fail("responses", "an element of no known kind");
  }
  return out;
}

watch_event read_event(const json::object& o, field_reader& r) {
  watch_event e;
  auto type = r.text(o, "type");
  if (type == "DELETE")
    e.what = watch_event::kind::del;
  else if (!type.empty() && type != "PUT")
    r.fail("type", "not PUT or DELETE");
  e.kv = read_kv(r.object(o, "kv"), r);
  return e;
}

}  // namespace

result<lease_grant_result> parse_lease_grant(std::string_view body) {
  field_reader r;
  json::value v;
  if (!parse_object(body, v, r)) return r.failure();
  const auto& o = v.get_object();
  if (auto text = r.text(o, "error"); !text.empty())
    return error{errc::server_error, "etcd: " + text};
  lease_grant_result out;
  out.header = read_header(o, r);
  out.id = r.i64(o, "ID");
  out.ttl = r.i64(o, "TTL");
  if (r.ok() && (out.id == 0 || out.ttl <= 0)) r.fail("ID/TTL", "missing");
  if (!r.ok()) return r.failure();
  return out;
}

result<lease_keepalive_result> parse_lease_keepalive(std::string_view body) {
  field_reader r;
  json::value v;
  if (!parse_object(body, v, r)) return r.failure();
  const auto& top = v.get_object();
  if (top.contains("error")) {
    auto detail = r.text(r.object(top, "error"), "message");
    return error{errc::server_error, "etcd: keepalive failed: " + detail};
  }
  const auto& o = r.object(top, "result");
  lease_keepalive_result out;
  out.header = read_header(o, r);
  out.id = r.i64(o, "ID");
  out.ttl = r.i64(o, "TTL");
  if (!r.ok()) return r.failure();
  if (out.ttl <= 0)
    return error{errc::lease_not_found,
                 "etcd: lease " + std::to_string(out.id) + " has expired"};
  return out;
}

result<response_header> parse_header_only(std::string_view body) {
  field_reader r;
  json::value v;
  if (!parse_object(body, v, r)) return r.failure();
  auto h = read_header(v.get_object(), r);
  if (!r.ok()) return r.failure();
  return h;
}

result<range_result> parse_range(std::string_view body) {
  field_reader r;
  json::value v;
  if (!parse_object(body, v, r)) return r.failure();
  auto out = read_range(v.get_object(), r);
  if (!r.ok()) return r.failure();
  return out;
}

result<delete_result> parse_delete_range(std::string_view body) {
  field_reader r;
  json::value v;
  if (!parse_object(body, v, r)) return r.failure();
  const auto& o = v.get_object();
  delete_result out;
  out.header = read_header(o, r);
  out.deleted = r.i64(o, "deleted");
  if (!r.ok()) return r.failure();
  return out;
}

result<txn_result> parse_txn(std::string_view body) {
  field_reader r;
  json::value v;
  if (!parse_object(body, v, r)) return r.failure();
  const auto& o = v.get_object();
  txn_result out;
  out.header = read_header(o, r);
  out.succeeded = r.boolean(o, "succeeded");
  for (const auto& e : r.array(o, "responses"))
    out.responses.push_back(read_op_result(r.element(e, "responses"), r));
  if (!r.ok()) return r.failure();
  return out;
}

result<watch_response> parse_watch_line(std::string_view line) {
  field_reader r;
  json::value v;
  if (!parse_object(line, v, r)) return r.failure();
  const auto& top = v.get_object();
  if (top.contains("error")) {
    const auto& e = r.object(top, "error");
    auto detail = r.text(e, "message");
    return error{errc::server_error, "etcd: watch failed: " + detail};
  }
  if (!top.contains("result")) r.fail("result", "missing");
  const auto& o = r.object(top, "result");
  watch_response out;
  out.header = read_header(o, r);
  out.watch_id = r.i64(o, "watch_id");
  out.created = r.boolean(o, "created");
  out.canceled = r.boolean(o, "canceled");
  out.compact_revision = r.i64(o, "compact_revision");
  out.cancel_reason = r.text(o, "cancel_reason");
  for (const auto& e : r.array(o, "events"))
    out.events.push_back(read_event(r.element(e, "events"), r));
  if (!r.ok()) return r.failure();
  return out;
}

error parse_error(unsigned http_status, std::string_view body) {
  std::string where = "HTTP " + std::to_string(http_status);
  field_reader r;
  json::value v;
  if (!parse_object(body, v, r))
    return {errc::server_error,
            "etcd: " + where + ": " + std::string(body.substr(0, 200))};
  const auto& o = v.get_object();
  auto message = r.text(o, "message");
  if (message.empty()) message = r.text(o, "error");
  auto code = r.i64(o, "code");
  constexpr std::int64_t grpc_not_found = 5;
  auto text = "etcd: " + message + " (" + where + ", gRPC code " +
              std::to_string(code) + ")";
  if (code == grpc_not_found &&
      message.find("lease not found") != std::string::npos)
    return {errc::lease_not_found, text};
  return {errc::server_error, text};
}

}  // namespace switchboard::cluster::etcd_json
