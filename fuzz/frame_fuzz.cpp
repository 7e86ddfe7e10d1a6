// Fuzzes the parser of client frames (actors/frame.hpp): the bytes are one
// WebSocket text frame of user "alice", parsed with the protocol's default
// limits. Besides the sanitizers, it checks what callers rely on: either a
// frame or a bad_request, and a frame that respects the limits.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "actors/frame.hpp"
#include "auth/jwt.hpp"
#include "fuzz/invariant.hpp"

namespace {

using switchboard::fuzz::invariant;
namespace actors = switchboard::actors;

bool all_user_ids(const std::vector<std::string>& ids) {
  for (const auto& id : ids)
    if (!switchboard::auth::valid_user_id(id)) return false;
  return true;
}

void check_frame(const actors::client_frame& f, const std::string& self,
                 const actors::limits& lim) {
  namespace request = actors::request;
  invariant(!f.type().empty(), "a frame has a type");
  invariant(!f.rid || f.rid->size() <= 64, "a rid is at most 64 characters");
  if (auto* r = std::get_if<request::send>(&f.req)) {
    invariant(!r->conv_id.empty() && r->conv_id.size() <= 64, "send: conv_id");
    invariant(!r->client_msg_id.empty() && r->client_msg_id.size() <= 64,
              "send: client_msg_id");
    invariant(!r->body.empty(), "send: a body");
  }
  if (auto* r = std::get_if<request::create>(&f.req)) {
    invariant(!r->members.empty() && r->members[0] == self,
              "create: the creator is the first member");
    invariant(all_user_ids(r->members), "create: members are user ids");
    if (r->kind == "direct")
      invariant(
          r->members.size() == 2 && r->members[1] != self && r->title.empty(),
          "create: a direct conversation of two, untitled");
    else
      invariant(r->kind == "group" && r->members.size() <= lim.max_members,
                "create: a group within max_members");
  }
  if (auto* r = std::get_if<request::sync>(&f.req)) {
    invariant(r->limit >= 1 && r->limit <= lim.history_page, "sync: limit");
    invariant(!(r->has_after && r->has_before), "sync: after or before");
  }
  if (auto* r = std::get_if<request::presence>(&f.req))
    invariant(!r->user_ids.empty() &&
                  r->user_ids.size() <= lim.max_presence_ids &&
                  all_user_ids(r->user_ids),
              "presence: 1..max_presence_ids user ids");
  if (auto* r = std::get_if<request::receipts>(&f.req))
    invariant(!r->user_ids.empty() &&
                  r->user_ids.size() <= lim.max_presence_ids &&
                  all_user_ids(r->user_ids),
              "receipts: 1..max_presence_ids user ids");
  if (auto* r = std::get_if<request::members>(&f.req))
    invariant(all_user_ids(r->add) && all_user_ids(r->remove),
              "members: user ids");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  static const actors::limits lim{};
  static const std::string self = "alice";
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = actors::parse_frame(text, self, lim);
  if (parsed.frame) {
    invariant(parsed.err.ok(), "a valid frame carries no error");
    invariant(parsed.rid == parsed.frame->rid, "the rid is the frame's");
    check_frame(*parsed.frame, self, lim);
  } else {
    invariant(parsed.err.code == switchboard::common::proto_code::bad_request,
              "an invalid frame is a bad_request");
    invariant(!parsed.err.message.empty(), "a bad_request says why");
  }
  return 0;
}
