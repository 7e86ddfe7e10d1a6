#pragma once

// Internal to cluster/: name lookups with a deadline, for the etcd
// gateway's connections (gateway_connection.cpp).
#include <netdb.h>

#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace switchboard::cluster {

// getaddrinfo cannot be interrupted, and the system resolver may take tens
// of seconds (its timeout times its attempts times its servers), so each
// lookup runs on a thread of its own and the caller waits only until its
// deadline. A lookup that outlives the deadline finishes on its thread and
// its answer is dropped; a caller that asks for the same host and port
// meanwhile waits on that lookup rather than starting another, so a hung
// resolver costs one thread per name, not one per request.
class host_lookup {
 public:
  using getaddrinfo_fn =
      std::function<int(const char*, const char*, const addrinfo*, addrinfo**)>;
  explicit host_lookup(getaddrinfo_fn fn = ::getaddrinfo);

  // The TCP addresses of `host`:`port` found before `deadline`; empty with
  // `why` set ("resolve: ...") when there are none or the time was up.
  std::vector<boost::asio::ip::tcp::endpoint> resolve(
      const std::string& host, std::uint16_t port,
      std::chrono::steady_clock::time_point deadline, std::string& why);

  // Lookups whose threads have not ended yet (for tests).
  std::size_t running() const;

 private:
  struct state;
  std::shared_ptr<state> st_;
};

}  // namespace switchboard::cluster
