#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace switchboard::push {

// The HTTP client of the push providers (docs/push.md): libcurl's multi
// interface on one thread of its own, so that no send blocks an actor or
// an Asio thread. Requests to one host share its connections, HTTP/2 where
// the server offers it (many streams on one connection, as APNs requires);
// every request has a finite timeout. Thread-safe.
class http_client {
 public:
  enum class version : std::uint8_t {
    any,        // HTTP/2 over TLS when offered, else HTTP/1.1
    http2_only  // HTTP/2 only (plain http: prior knowledge)
  };
  struct request {
    std::string method = "POST";
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::chrono::milliseconds timeout{10000};
    version http = version::any;
  };
  struct response {
    long status = 0;    // 0: no HTTP answer (see error)
    std::string error;  // why there is none: refused, timed out, TLS
    std::vector<std::pair<std::string, std::string>> headers;  // lower case
    std::string body;
    long http_version = 0;  // 11, 2 (when answered)
    // No answer because every address of the host was refused (a
    // public_only client's, see reach).
    bool not_public = false;
    // The first header `name` (lower case), if any.
    std::optional<std::string> header(std::string_view name) const;
  };
  using callback = std::function<void(response)>;
  // Where the client may connect.
  enum class reach : std::uint8_t {
    any,  // the operator's providers, wherever they are configured
    // Only https: URLs, only to public addresses (is_public_address, as
    // the host resolves when connecting, so a name that resolves to
    // loopback is refused too), and no proxy from the environment (whose
    // address would be the one checked). For URLs that clients chose.
    public_only,
  };

  // `max_body` bounds what is kept of a response body (a provider's answer
  // is small; a larger one is cut there). `ca_file`: a PEM bundle of the
  // certificate authorities to trust instead of the system's (a TLS proxy's
  // own, a test's fake provider); empty: the system's.
  explicit http_client(std::size_t max_body = 64 * 1024,
                       std::string ca_file = {}, reach where = reach::any);
  ~http_client();  // shutdown()
  // Fails what is queued or in flight (error "the node is shutting down";
  // their callbacks run) and stops the client's thread; later sends fail
  // at once. From another thread it waits for the client's to end; from a
  // callback (the client released by its last owner there) it returns at
  // once, and what is left fails when the callback returns.
  void shutdown();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  // Queues `r`; `done` runs once on the client's thread with the answer.
  // It must not block: hand longer work elsewhere.
  void send(request r, callback done);

  // Requests queued or on their way.
  std::size_t in_flight() const;

 private:
  struct impl;
  std::shared_ptr<impl> impl_;  // and the client's thread, until it ends
};

}  // namespace switchboard::push
