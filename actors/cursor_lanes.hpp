#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "actors/frame.hpp"

namespace switchboard::actors {

// The `ack` and `read` frames of one connection, coalesced per conversation
// and kind. Cursors are cumulative, so of several acks that wait, only the
// highest says anything: one request is in flight per lane, the frames
// that come meanwhile wait, and when it is answered the highest of them
// goes on behalf of all (the others are folded into it). A client that acks
// every message of a burst costs a request, a cursor write and a receipt
// per round trip instead of per message (in a cluster: a remote request
// each). Not thread-safe: the session actor's.
class cursor_lanes {
 public:
  // Whether `f` (an ack or read) is to be sent now; otherwise it waits, and
  // comes back from done().
  bool arrive(client_frame f);

  struct next {
    client_frame frame;                // to send now: the highest msg_id
    std::vector<client_frame> folded;  // answered with it
  };
  // The request in flight for `f`'s lane was answered: what waited, if
  // anything (and then it is in flight); nullopt frees the lane.
  std::optional<next> done(const client_frame& f);

  std::size_t lanes() const { return lanes_.size(); }

 private:
  using key = std::pair<std::string, bool>;  // conv_id, read
  static key key_of(const client_frame& f) {
    return {f.conv_id, f.type == "read"};
  }
  std::map<key, std::vector<client_frame>> lanes_;  // waiting frames
};

}  // namespace switchboard::actors
