#include "storage/conversation_log.hpp"

#include "storage/keys.hpp"

namespace switchboard::storage {

result<conversation_log> conversation_log::open(store& s, std::string conv) {
  auto last = s.last_msg_id(conv);
  if (!last) return last.err();
  return conversation_log(s, std::move(conv), *last);
}

result<std::uint64_t> conversation_log::append(batch& b, message& m) {
  if (!keys::valid_id(m.sender) || m.client_msg_id.size() > keys::max_id_size)
    return error{errc::invalid_argument, "sender or client_msg_id"};
  m.msg_id = ++last_;
  b.put_message(conv_, m);
  if (!m.client_msg_id.empty())
    b.put_idempotency(conv_, m.sender, m.client_msg_id, m.msg_id, m.ts_ms);
  return m.msg_id;
}

result<std::uint64_t> conversation_log::append(message m, completion done) {
  batch b;
  auto id = append(b, m);
  if (!id) return id;
  store_->commit(std::move(b), std::move(done));
  return id;
}

}  // namespace switchboard::storage
