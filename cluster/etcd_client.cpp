#include "cluster/etcd_client.hpp"

#include <utility>

#include "cluster/endpoint_list.hpp"
#include "cluster/etcd_bytes.hpp"
#include "cluster/etcd_json.hpp"
#include "cluster/etcd_request.hpp"
#include "cluster/gateway_post.hpp"

namespace switchboard::cluster {

struct etcd_client::impl {
  impl(std::vector<endpoint> eps, etcd_options opts)
      : endpoints(std::move(eps)), options(opts) {}

  // POSTs `body` to `target` and parses a 200 answer with `parse`; any
  // other status is the error etcd_json::parse_error makes of it.
  template <class Parse>
  auto call(std::string_view target, std::string body, Parse parse)
      -> decltype(parse(std::string_view())) {
    auto answer = gateway_post(endpoints, options, target, std::move(body));
    if (!answer) return answer.err();
    if (answer->status != 200)
      return etcd_json::parse_error(answer->status, answer->body);
    return parse(answer->body);
  }

  endpoint_list endpoints;
  etcd_options options;
};

namespace {

error no_key() { return {errc::invalid_argument, "etcd: an empty key"}; }

}  // namespace

result<etcd_client> etcd_client::create(std::string_view endpoints,
                                        etcd_options options) {
  auto eps = parse_endpoints(endpoints);
  if (!eps) return eps.err();
  if (options.request_timeout.count() <= 0 ||
      options.connect_timeout.count() <= 0)
    return error{errc::invalid_argument, "etcd: timeouts must be positive"};
  return etcd_client(std::make_unique<impl>(std::move(*eps), options));
}

etcd_client::etcd_client(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
etcd_client::etcd_client(etcd_client&&) noexcept = default;
etcd_client& etcd_client::operator=(etcd_client&&) noexcept = default;
etcd_client::~etcd_client() = default;

result<lease_grant_result> etcd_client::lease_grant(std::int64_t ttl_s) {
  if (ttl_s <= 0)
    return error{errc::invalid_argument, "etcd: a lease TTL must be positive"};
  return impl_->call("/v3/lease/grant", etcd_request::lease_grant(ttl_s),
                     etcd_json::parse_lease_grant);
}

result<lease_keepalive_result> etcd_client::lease_keepalive(std::int64_t id) {
  return impl_->call("/v3/lease/keepalive", etcd_request::lease_id(id),
                     etcd_json::parse_lease_keepalive);
}

result<response_header> etcd_client::lease_revoke(std::int64_t id) {
  return impl_->call("/v3/lease/revoke", etcd_request::lease_id(id),
                     etcd_json::parse_header_only);
}

result<put_result> etcd_client::put(std::string_view key,
                                    std::string_view value,
                                    std::int64_t lease) {
  if (key.empty()) return no_key();
  return impl_->call("/v3/kv/put", etcd_request::put(key, value, lease),
                     [](std::string_view body) -> result<put_result> {
                       auto header = etcd_json::parse_header_only(body);
                       if (!header) return header.err();
                       return put_result{*header};
                     });
}

result<range_result> etcd_client::range(std::string_view key,
                                        std::string_view range_end) {
  if (key.empty()) return no_key();
  return impl_->call("/v3/kv/range", etcd_request::range(key, range_end),
                     etcd_json::parse_range);
}

result<range_result> etcd_client::range_prefix(std::string_view prefix) {
  if (prefix.empty()) return no_key();
  return range(prefix, prefix_end(prefix));
}

result<delete_result> etcd_client::delete_range(std::string_view key,
                                                std::string_view range_end) {
  if (key.empty()) return no_key();
  return impl_->call("/v3/kv/deleterange",
                     etcd_request::delete_range(key, range_end),
                     etcd_json::parse_delete_range);
}

result<delete_result> etcd_client::delete_prefix(std::string_view prefix) {
  if (prefix.empty()) return no_key();
  return delete_range(prefix, prefix_end(prefix));
}

result<txn_result> etcd_client::txn(const std::vector<compare>& compares,
                                    const std::vector<txn_op>& success,
                                    const std::vector<txn_op>& failure) {
  for (const auto& c : compares)
    if (c.key.empty()) return no_key();
  for (const auto* ops : {&success, &failure})
    for (const auto& op : *ops)
      if (op.key.empty()) return no_key();
  return impl_->call("/v3/kv/txn",
                     etcd_request::txn(compares, success, failure),
                     etcd_json::parse_txn);
}

result<std::unique_ptr<etcd_watch>> etcd_client::watch(
    std::string_view key, std::string_view range_end,
    std::int64_t start_revision, watch_callback callback) {
  if (key.empty()) return no_key();
  return etcd_watch::open(
      impl_->endpoints, impl_->options,
      etcd_request::watch_create(key, range_end, start_revision),
      std::move(callback));
}

result<std::unique_ptr<etcd_watch>> etcd_client::watch_prefix(
    std::string_view prefix, std::int64_t start_revision,
    watch_callback callback) {
  if (prefix.empty()) return no_key();
  return watch(prefix, prefix_end(prefix), start_revision, std::move(callback));
}

const std::vector<endpoint>& etcd_client::endpoints() const noexcept {
  return impl_->endpoints.all();
}

const etcd_options& etcd_client::options() const noexcept {
  return impl_->options;
}

}  // namespace switchboard::cluster
