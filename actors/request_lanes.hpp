#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "actors/frame.hpp"

namespace switchboard::actors {

// Requests of one connection to one conversation, one lane per
// conversation and request type: one request is in flight per lane, and
// the frames that come meanwhile wait, to go together when it is answered.
// The session uses lanes for
// - `send`: the frames that waited go as one request, in order (one
//   round trip, and in a cluster one remote request, for a burst);
// - `ack` and `read`: cursors are cumulative, so of the frames that
//   waited only the highest goes, on behalf of all.
// A client that pipelines costs a request per round trip per lane instead
// of per frame. Not thread-safe: the session actor's.
class request_lanes {
 public:
  // Whether `f` is to be sent now (its lane was free; now it is not);
  // otherwise it waits, and comes back from done().
  bool arrive(const client_frame& f);

  // The request in flight on `f`'s lane was answered: the frames that
  // waited, in arrival order, which are in flight now; none frees the lane.
  std::vector<client_frame> done(const client_frame& f);

  std::size_t lanes() const { return lanes_.size(); }

 private:
  using key = std::pair<std::string, std::string>;  // conv_id, type
  std::map<key, std::vector<client_frame>> lanes_;  // waiting frames
};

}  // namespace switchboard::actors
