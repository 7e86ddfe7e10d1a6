#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "cluster/endpoint_list.hpp"
#include "cluster/etcd_options.hpp"
#include "cluster/etcd_types.hpp"
#include "cluster/result.hpp"

namespace switchboard::cluster {

// What a watch delivers: a response with one or more events (in revision
// order, never an empty one), or, once, the error that ended the watch:
// errc::compacted (the start revision is gone; its message holds the
// compact revision), errc::server_error (etcd canceled it or failed the
// stream), errc::io_error (the connection broke or etcd closed the stream),
// errc::bad_response. After an error there are no more calls; to go on,
// watch again from the last revision seen plus one.
using watch_callback = std::function<void(result<watch_response> update)>;

// One watch stream on etcd's gateway (`POST /v3/watch`, one JSON object per
// line), on a thread and io_context of its own, which is where the callback
// runs: one call at a time, in the order etcd sent them. The callback must
// not throw, and delays every later event for as long as it runs.
// Destroying the watch cancels it (closes the connection) and waits for the
// thread; after the destructor returns the callback is never called again.
// Destroying it from inside the callback is allowed (the thread then ends
// on its own once the callback returns). Not thread-safe: one owner.
class etcd_watch {
 public:
  // Connects (trying `endpoints` as etcd_client does), sends `create_body`
  // (etcd_request::watch_create) and waits for etcd's "created" answer,
  // all within options.request_timeout; errors as etcd_client's calls.
  // Every event from the start revision on then reaches `callback`. Use
  // etcd_client::watch rather than this.
  static result<std::unique_ptr<etcd_watch>> open(
      const endpoint_list& endpoints, const etcd_options& options,
      std::string create_body, watch_callback callback);

  ~etcd_watch();
  etcd_watch(const etcd_watch&) = delete;
  etcd_watch& operator=(const etcd_watch&) = delete;

  // etcd's id of this watch, and the store's revision when it was created.
  std::int64_t id() const noexcept { return id_; }
  std::int64_t created_revision() const noexcept { return created_revision_; }

  struct stream;  // the connection, shared with the thread

 private:
  etcd_watch(std::shared_ptr<stream> s, std::thread t, std::int64_t id,
             std::int64_t revision);

  std::shared_ptr<stream> stream_;
  std::thread thread_;
  std::int64_t id_ = 0;
  std::int64_t created_revision_ = 0;
};

}  // namespace switchboard::cluster
