#pragma once

#include <functional>
#include <memory>
#include <string>

#include "actors/client_connection.hpp"
#include "actors/frame.hpp"
#include "actors/messages.hpp"
#include "actors/node_context.hpp"
#include "actors/presence_watch.hpp"
#include "actors/request_timer.hpp"

namespace switchboard::actors {

// Who asks, and where the answer goes. `answer` is called exactly once,
// inside the asking actor: with the answer frame (JSON text; an `error`
// frame on failure), or with "" for a request the protocol answers with
// nothing (a successful ack, read or typing).
struct request_context {
  node_context* ctx = nullptr;
  std::string user;
  std::string origin_session;  // the asking connection, or "" (REST)
  std::function<void(std::string)> answer;
  // The presence this connection subscribed to (session_state's): the
  // cap, the checks and the user actors subscribed at; nullptr for REST.
  presence_watch* presence = nullptr;
  // The asking connection, for the queue room of history pages; nullptr
  // for REST.
  std::shared_ptr<client_connection> conn{};
  // The asking actor's request deadlines (session_state's,
  // actors/timed_request.hpp); nullptr: CAF's clock keeps them (REST).
  request_timer* timer = nullptr;
};

// Carries out one validated client request through the conversation and
// user actors: the single code path of WebSocket frames and REST calls.
// `self` is the asking actor; it must handle `continue` messages and
// outlive the answer. A presence subscription needs a session actor: for
// any other `self` the subscription is ignored and the query answered.
void handle_request(session_actor::base* self, request_context rc,
                    client_frame& f);

// Inside the answer to a presence subscription of `user` made on check
// `n`'s verdict (presence_watch.hpp): keeps the actor that answered (the
// user's actor, wherever it runs) in `w` and monitors it, so that the
// session can subscribe again when that actor goes away. When a later
// check has found `user` hidden meanwhile, tells that actor to stop
// instead, and answers false.
bool keep_presence_of(session_actor::base* self, presence_watch& w,
                      const std::string& user, std::uint64_t n);
// Ends the subscription at `user`'s actor, if one has it (true then).
bool drop_presence_of(session_actor::base* self, presence_watch& w,
                      const std::string& user);
void handle_request(caf::event_based_actor* self, request_context rc,
                    client_frame& f);

// Several `send` frames of one connection to one conversation, in order,
// as one request to the conversation (request_lanes.hpp); rc.answer is
// called once for each, with its answer.
void handle_sends(session_actor::base* self, const request_context& rc,
                  std::vector<client_frame>& frames);

}  // namespace switchboard::actors
