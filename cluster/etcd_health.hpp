#pragma once

#include <atomic>

#include "cluster/result.hpp"

namespace switchboard::cluster {

// Whether etcd answered the latest call that any part of a coordinator
// made (keepalive, txn, watch): the node's `/readyz` and metrics read it.
// An answer that is an error (a failed compare, lease_not_found) still
// counts as reachable; unreachable, timeout and io_error do not.
// Thread-safe.
class etcd_health {
 public:
  template <class T>
  void record(const result<T>& r) {
    if (r)
      reachable_.store(true);
    else
      record(r.err());
  }
  void record(const error& e) {
    reachable_.store(e.code != errc::unreachable && e.code != errc::timeout &&
                     e.code != errc::io_error);
  }
  void record_ok() { reachable_.store(true); }
  bool reachable() const { return reachable_.load(); }

 private:
  std::atomic<bool> reachable_{true};
};

}  // namespace switchboard::cluster
