#pragma once

// A client of etcd v3 through its JSON gateway (etcd 3.4's grpc-gateway on
// the client port, HTTP/1.1): leases, puts, ranges, deletes, transactions
// and watches, as docs/ARCHITECTURE.md "cluster/" uses them for membership and
// the shard map.
//
// Boost.Beast's HTTP client rather than libcurl: Beast is already the
// project's HTTP stack (net/), it adds no library to link, and a watch is a
// chunked response read as it arrives, which Beast's buffer_body parser does
// directly. Beast stays in cluster/'s .cpp files: this header includes
// none of it, nor Boost.JSON.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/endpoint.hpp"
#include "cluster/etcd_options.hpp"
#include "cluster/etcd_types.hpp"
#include "cluster/etcd_watch.hpp"
#include "cluster/result.hpp"

namespace switchboard::cluster {

// Every call blocks the calling thread until etcd answered or
// options.request_timeout passed (run them on a thread made for it, never
// on a CAF scheduler or Asio thread), and opens a connection of its own, so
// the client is thread-safe: calls from several threads run in parallel.
// Endpoints are tried in turn, starting with the one that answered last;
// a call moves on only when an endpoint cannot be connected to (so nothing
// was sent), never once a request may have reached etcd. Errors are
// values (errc.hpp); nothing throws. Movable, not copyable; a watch does not
// borrow the client and may outlive it.
class etcd_client {
 public:
  // The client of `endpoints` (`--etcd`: "http://127.0.0.1:2379,..."; see
  // parse_endpoints). Connects to nothing yet: errc::invalid_argument only.
  static result<etcd_client> create(std::string_view endpoints,
                                    etcd_options options = {});

  etcd_client(etcd_client&&) noexcept;
  etcd_client& operator=(etcd_client&&) noexcept;
  ~etcd_client();

  // A lease of at least `ttl_s` seconds (etcd grants 2 s for less).
  result<lease_grant_result> lease_grant(std::int64_t ttl_s);
  // Refreshes the lease to its full TTL (one unary request, not a stream).
  // errc::lease_not_found once it has expired or been revoked.
  result<lease_keepalive_result> lease_keepalive(std::int64_t id);
  // Revokes the lease, deleting every key attached to it, at once.
  result<response_header> lease_revoke(std::int64_t id);

  // `lease` 0: the key has none. errc::lease_not_found when the lease does
  // not exist.
  result<put_result> put(std::string_view key, std::string_view value,
                         std::int64_t lease = 0);
  // The keys in [key, range_end), or `key` alone when range_end is empty;
  // "\0" as range_end: every key from `key` on.
  result<range_result> range(std::string_view key,
                             std::string_view range_end = {});
  result<range_result> range_prefix(std::string_view prefix);
  result<delete_result> delete_range(std::string_view key,
                                     std::string_view range_end = {});
  result<delete_result> delete_prefix(std::string_view prefix);

  // If every compare holds, runs `success`, else `failure`, atomically.
  // txn_result::succeeded says which. A txn is safe to repeat after
  // errc::timeout when its compares fail on its own effect (for example
  // create_revision == 0 on a key it creates).
  result<txn_result> txn(const std::vector<compare>& compares,
                         const std::vector<txn_op>& success,
                         const std::vector<txn_op>& failure = {});

  // Watches [key, range_end) (key alone when range_end is empty) from
  // `start_revision` (0: from now on; a revision etcd compacted away ends
  // the watch with errc::compacted). Returns once etcd has created the
  // watch; the events then come to `callback` on the watch's own thread
  // (see etcd_watch). Destroy the watch to cancel it.
  result<std::unique_ptr<etcd_watch>> watch(std::string_view key,
                                            std::string_view range_end,
                                            std::int64_t start_revision,
                                            watch_callback callback);
  result<std::unique_ptr<etcd_watch>> watch_prefix(std::string_view prefix,
                                                   std::int64_t start_revision,
                                                   watch_callback callback);

  const std::vector<endpoint>& endpoints() const noexcept;
  const etcd_options& options() const noexcept;

 private:
  struct impl;
  explicit etcd_client(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace switchboard::cluster
