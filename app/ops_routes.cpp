#include "app/ops_routes.hpp"

#include "app/cluster_node.hpp"
#include "metrics/metrics.hpp"
#include "rest/http_errors.hpp"
#include "rest/json_body.hpp"
#include "rest/route.hpp"
#include "storage/store.hpp"

namespace switchboard::app {

using common::proto_code;

using rest::error_response;

bool handle_ops(const net::http_request& req, const net::http_reply& reply,
                const std::atomic<node_state>& state,
                const metrics::node_metrics& m, const storage::store& store,
                const cluster_node* cluster) {
  // Probes and scrapers ask for these paths as they are written: a path
  // with an escape in it, or one not starting with '/', was never one of
  // them and is left to the handlers after this one. Without either,
  // split_path changes no part, so what matches is the path itself.
  auto path = req.target.substr(0, req.target.find('?'));
  if (path.rfind('/', 0) != 0 || path.find('%') != std::string::npos)
    return false;
  auto parts = rest::split_path(path);
  bool healthz = rest::matches(parts, {"healthz"});
  bool readyz = rest::matches(parts, {"readyz"});
  if (!healthz && !readyz && !rest::matches(parts, {"metrics"})) return false;
  if (req.method != "GET" && req.method != "HEAD") {
    auto res = error_response(proto_code::method_not_allowed, "use GET");
    res.headers.emplace_back("Allow", "GET");
    reply(std::move(res));
    return true;
  }
  net::http_response res;
  if (healthz) {
    res = rest::json_response(200, {{"status", "ok"}});
  } else if (readyz) {
    if (state != node_state::ready) {
      reply(error_response(
          proto_code::unavailable,
          state == node_state::starting ? "starting" : "draining"));
      return true;
    }
    if (cluster && !cluster->ready()) {
      reply(error_response(
          proto_code::unavailable,
          "the node has lost contact with etcd; it takes no writes until "
          "its lease is renewed"));
      return true;
    }
    if (!store.writable()) {
      reply(error_response(
          proto_code::unavailable,
          "the store is not writable: " + store.health().reason));
      return true;
    }
    res = rest::json_response(200, {{"status", "ready"}});
  } else {
    res.content_type = "text/plain; version=0.0.4; charset=utf-8";
    res.body = m.render();
  }
  reply(std::move(res));
  return true;
}

}  // namespace switchboard::app
