#pragma once

#include <chrono>
#include <cstddef>

namespace switchboard::cluster {

// The limits of every request an etcd_client sends.
struct etcd_options {
  // The whole of one call: connecting (to every endpoint tried), sending and
  // reading the answer. A watch's creation gets the same budget; once
  // created, a watch has no deadline, since etcd may send nothing for
  // hours, but its connection is probed (TCP keepalive) and one whose peer
  // stopped answering ends the watch within watch_dead_after.
  std::chrono::milliseconds request_timeout{2000};
  std::chrono::milliseconds watch_dead_after{5000};
  // One endpoint's connection attempt (within request_timeout): an endpoint
  // that does not accept within it is skipped for the next one.
  std::chrono::milliseconds connect_timeout{500};
  // An answer's body past this size is an error (errc::io_error); one line
  // of a watch stream too (errc::bad_response).
  std::size_t max_response_bytes = 64u << 20;
};

}  // namespace switchboard::cluster
