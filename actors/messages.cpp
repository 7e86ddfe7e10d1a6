#include "actors/messages.hpp"

namespace switchboard::actors {

void register_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<proto_error>("switchboard.proto_error");
  cfg.add_message_type<chat_message>("switchboard.chat_message");
  cfg.add_message_type<std::vector<chat_message>>("switchboard.chat_messages");
  cfg.add_message_type<create_request>("switchboard.create_request");
  cfg.add_message_type<create_reply>("switchboard.create_reply");
  cfg.add_message_type<send_request>("switchboard.send_request");
  cfg.add_message_type<send_reply>("switchboard.send_reply");
  cfg.add_message_type<sync_request>("switchboard.sync_request");
  cfg.add_message_type<history_reply>("switchboard.history_reply");
  cfg.add_message_type<cursor_request>("switchboard.cursor_request");
  cfg.add_message_type<members_request>("switchboard.members_request");
  cfg.add_message_type<cursors_request>("switchboard.cursors_request");
  cfg.add_message_type<cursors_reply>("switchboard.cursors_reply");
  cfg.add_message_type<presence_status>("switchboard.presence_status");
  cfg.add_message_type<shard_chunk>("switchboard.shard_chunk");
  cfg.add_message_type<repl_op>("switchboard.repl_op");
  cfg.add_message_type<repl_append>("switchboard.repl_append");
  cfg.add_message_type<std::vector<repl_append>>("switchboard.repl_appends");
  cfg.add_message_type<std::vector<repl_op>>("switchboard.repl_ops");
  cfg.add_message_type<conv_summary>("switchboard.conv_summary");
  cfg.add_message_type<std::vector<conv_summary>>("switchboard.conv_summaries");
  cfg.add_message_type<summary_page>("switchboard.summary_page");
  cfg.add_message_type<std::vector<std::vector<std::string>>>(
      "switchboard.string_lists");
  cfg.add_message_type<std::vector<std::string>>("switchboard.strings");
  cfg.add_message_type<std::vector<std::int64_t>>("switchboard.int64s");
  cfg.add_message_type<std::vector<std::uint64_t>>("switchboard.uint64s");
  cfg.add_message_type<session_actor>("switchboard.session_actor");
  cfg.add_message_type<conversation_actor>("switchboard.conversation_actor");
}

}  // namespace switchboard::actors
