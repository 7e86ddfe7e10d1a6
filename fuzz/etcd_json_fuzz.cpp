// Fuzzes the parsers of etcd's JSON gateway answers (cluster/etcd_json.hpp)
// and the gateway's byte encodings (cluster/etcd_bytes.hpp). Byte 0 mod 10
// picks what the rest is: 0 a lease grant, 1 a keepalive, 2 a header-only
// answer, 3 a range, 4 a delete, 5 a txn, 6 one watch line, 7 an error body
// (with status 404), 8 base64 text, 9 a key prefix. An answer comes from
// etcd, or from whatever answers on its port: every input must give a value
// or an error of the documented kind, never a crash or an exception.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "cluster/etcd_bytes.hpp"
#include "cluster/etcd_json.hpp"
#include "fuzz/invariant.hpp"

namespace {

namespace cluster = switchboard::cluster;
namespace ej = switchboard::cluster::etcd_json;
using switchboard::fuzz::invariant;

// Every decoded key and value was valid base64, which encodes back to it.
void check_kvs(const std::vector<cluster::key_value>& kvs) {
  for (const auto& kv : kvs) {
    auto key = cluster::base64_decode(cluster::base64_encode(kv.key));
    invariant(key && *key == kv.key, "a key round-trips through base64");
  }
}

// A parser of answers fails only as a bad response, or `also` when given.
template <class T>
void check_error(const cluster::result<T>& r,
                 cluster::errc also = cluster::errc::bad_response) {
  if (r) return;
  auto code = r.err().code;
  invariant(code == cluster::errc::bad_response || code == also,
            "a parser fails with its documented error");
  invariant(!r.err().message.empty(), "an error says what was wrong");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 10) {
    case 0: {
      auto r = ej::parse_lease_grant(in);
      check_error(r, cluster::errc::server_error);
      if (r) invariant(r->id != 0 && r->ttl > 0, "a granted lease is usable");
      break;
    }
    case 1: {
      auto r = ej::parse_lease_keepalive(in);
      if (!r && r.err().code != cluster::errc::lease_not_found)
        check_error(r, cluster::errc::server_error);
      if (r) invariant(r->ttl > 0, "a kept-alive lease has a TTL");
      break;
    }
    case 2:
      check_error(ej::parse_header_only(in));
      break;
    case 3: {
      auto r = ej::parse_range(in);
      check_error(r);
      if (r) check_kvs(r->kvs);
      break;
    }
    case 4:
      check_error(ej::parse_delete_range(in));
      break;
    case 5: {
      auto r = ej::parse_txn(in);
      check_error(r);
      if (r)
        for (const auto& op : r->responses) check_kvs(op.kvs);
      break;
    }
    case 6: {
      auto r = ej::parse_watch_line(in);
      check_error(r, cluster::errc::server_error);
      if (r)
        for (const auto& e : r->events) check_kvs({e.kv});
      break;
    }
    case 7: {
      auto e = ej::parse_error(404, in);
      invariant(e.code == cluster::errc::server_error ||
                    e.code == cluster::errc::lease_not_found,
                "an error body is a server error");
      break;
    }
    case 8: {
      // Canonical: what decodes encodes back to the same text.
      if (auto bytes = cluster::base64_decode(in))
        invariant(cluster::base64_encode(*bytes) == in,
                  "base64 decoding is canonical");
      break;
    }
    case 9: {
      auto end = cluster::prefix_end(in);
      bool all_ff = in.find_first_not_of('\xff') == std::string_view::npos;
      if (all_ff)
        invariant(end == std::string(1, '\0'), "no end: from the key on");
      else
        invariant(in < end && end.size() <= in.size() &&
                      std::string(in) + std::string(8, '\xff') < end,
                  "every key with the prefix sorts before its end");
      break;
    }
  }
  return 0;
}
