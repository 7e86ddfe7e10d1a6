#pragma once

#include <optional>
#include <string>
#include <vector>

#include "actors/messages.hpp"

// The server's frames (PROTOCOL.md "Server to client" and the answers),
// serialized to JSON text. Events that go to many connections are
// serialized once and shared.
namespace switchboard::actors::events {

using rid_t = std::optional<std::string>;

std::string welcome(const std::string& user_id, const std::string& session_id,
                    const std::string& node, int heartbeat_s);
std::string pong(const rid_t& rid);
std::string ok(const rid_t& rid);
std::string error(const rid_t& rid, const proto_error& e);
std::string created(const rid_t& rid, const create_reply& r);
std::string sent(const rid_t& rid, const std::string& conv_id,
                 const std::string& client_msg_id, const send_reply& r);
std::string history(const rid_t& rid, const std::string& conv_id,
                    const history_reply& r);
std::string receipts(const rid_t& rid, const std::string& conv_id,
                     const cursors_reply& r);
std::string presence(const rid_t& rid,
                     const std::vector<presence_status>& statuses);

std::string message(const chat_message& m);
std::string receipt(const std::string& conv_id, const std::string& user_id,
                    bool read, std::uint64_t msg_id);
std::string members(const std::string& conv_id,
                    const std::vector<std::string>& added,
                    const std::vector<std::string>& removed);
std::string typing(const std::string& conv_id, const std::string& user_id);

}  // namespace switchboard::actors::events
