#include "storage/batch.hpp"

#include "storage/keys.hpp"
#include "storage/shard.hpp"

namespace switchboard::storage {

namespace {

// The shard is written by assign_shards, when the store's S is known.
constexpr std::uint16_t unassigned = 0;

}  // namespace

bool batch::check(std::string_view what, std::string_view id) {
  if (keys::valid_id(id)) return true;
  if (!invalid_)
    invalid_ = std::string(what) + " must be 1.." +
               std::to_string(keys::max_id_size) + " bytes";
  return false;
}

void batch::put(column_family cf, std::string_view shard_id, std::string key,
                std::string value) {
  ops_.push_back(
      op{cf, std::move(key), std::move(value), stable_hash(shard_id)});
}

void batch::erase(column_family cf, std::string_view shard_id,
                  std::string key) {
  ops_.push_back(op{cf, std::move(key), std::nullopt, stable_hash(shard_id)});
}

void batch::put_raw(column_family cf, std::string key, std::string value) {
  if (key.size() < 2) {
    if (!invalid_) invalid_ = "a raw key holds its shard: 2 bytes at least";
    return;
  }
  op o{cf, std::move(key), std::move(value), 0};
  o.raw = true;
  ops_.push_back(std::move(o));
}

void batch::touch_shard(std::string_view id) {
  std::string key;
  keys::append_shard(key, unassigned);
  put(column_family::shard_log, id, std::move(key), std::string());
}

void batch::add_raw(op o) {
  if (o.key.size() < 2) {
    if (!invalid_) invalid_ = "a raw key holds its shard: 2 bytes at least";
    return;
  }
  if (static_cast<std::size_t>(o.cf) >= column_family_count) {
    if (!invalid_) invalid_ = "no such column family";
    return;
  }
  o.raw = true;
  ops_.push_back(std::move(o));
}

void batch::erase_shard(std::uint16_t shard) {
  for (std::size_t i = 0; i < column_family_count; ++i) {
    auto cf = static_cast<column_family>(i);
    if (!moves_with_shard(cf)) continue;
    auto r = keys::shard_range(cf, shard);
    // The last shard's range runs to the end of the column family: no key
    // is longer than this one, nor greater.
    if (r.end.empty()) r.end = r.begin + std::string(1024, '\xff');
    op o{cf, std::move(r.begin), std::nullopt, 0};
    o.raw = true;
    o.range_end = std::move(r.end);
    ops_.push_back(std::move(o));
  }
}

void batch::assign_shards(std::uint32_t shards) noexcept {
  for (auto& o : ops_) {
    if (o.raw) continue;
    auto s = shard_of_hash(o.shard_hash, shards);
    o.key[0] = static_cast<char>(s >> 8);
    o.key[1] = static_cast<char>(s & 0xff);
  }
}

void batch::put_message(std::string_view conv, const message& m) {
  if (!check("conv_id", conv)) return;
  if (m.msg_id == 0) {
    if (!invalid_) invalid_ = "msg_id must be positive";
    return;
  }
  put(column_family::messages, conv,
      keys::message_key(unassigned, conv, m.msg_id), encode_message(m));
}

void batch::put_idempotency(std::string_view conv, std::string_view sender,
                            std::string_view client_msg_id,
                            std::uint64_t msg_id, std::int64_t ts_ms) {
  if (!check("conv_id", conv) || !check("sender", sender) ||
      !check("client_msg_id", client_msg_id))
    return;
  std::string v;
  keys::append_u64(v, msg_id);
  keys::append_u64(v, static_cast<std::uint64_t>(ts_ms));
  put(column_family::idempotency, conv,
      keys::key(unassigned, conv, sender, client_msg_id), std::move(v));
}

void batch::put_conversation(std::string_view conv,
                             const conversation_meta& meta) {
  if (!check("conv_id", conv)) return;
  put(column_family::conversations, conv, keys::key(unassigned, conv),
      encode(meta));
}

void batch::put_member(std::string_view conv, std::string_view user,
                       const member_state& state) {
  if (!check("conv_id", conv) || !check("user_id", user)) return;
  put(column_family::members, conv, keys::key(unassigned, conv, user),
      encode(state));
}

void batch::erase_member(std::string_view conv, std::string_view user) {
  if (!check("conv_id", conv) || !check("user_id", user)) return;
  erase(column_family::members, conv, keys::key(unassigned, conv, user));
}

void batch::put_inbox(std::string_view user, std::string_view conv) {
  if (!check("user_id", user) || !check("conv_id", conv)) return;
  put(column_family::inbox, user, keys::key(unassigned, user, conv),
      std::string());
}

void batch::erase_inbox(std::string_view user, std::string_view conv) {
  if (!check("user_id", user) || !check("conv_id", conv)) return;
  erase(column_family::inbox, user, keys::key(unassigned, user, conv));
}

void batch::put_device(std::string_view user, const device& d) {
  if (!check("user_id", user) || !check("device token", d.token)) return;
  put(column_family::devices, user, keys::key(unassigned, user, d.token),
      encode(d));
}

void batch::erase_device(std::string_view user, std::string_view token) {
  if (!check("user_id", user) || !check("device token", token)) return;
  erase(column_family::devices, user, keys::key(unassigned, user, token));
}

void batch::put_push_job(std::uint64_t seq, const push_job& job) {
  // A member's job lives in its user's shard, a conversation's burst (no
  // user) in the conversation's.
  const auto& home = job.user_id.empty() ? job.conv_id : job.user_id;
  if (!check("push job's user_id or conv_id", home)) return;
  put(column_family::push_outbox, home, keys::seq_key(unassigned, seq),
      encode(job));
}

void batch::erase_push_job(std::string_view home, std::uint64_t seq) {
  if (!check("push job's user_id or conv_id", home)) return;
  erase(column_family::push_outbox, home, keys::seq_key(unassigned, seq));
}

void batch::put_last_seen(std::string_view user, std::int64_t ts_ms) {
  if (!check("user_id", user)) return;
  std::string v;
  keys::append_u64(v, static_cast<std::uint64_t>(ts_ms));
  put(column_family::last_seen, user, keys::key(unassigned, user),
      std::move(v));
}

void batch::put_revocation(std::string_view user, std::int64_t not_before_s) {
  if (!check("user_id", user)) return;
  std::string v;
  keys::append_u64(v, static_cast<std::uint64_t>(not_before_s));
  put(column_family::revocations, user, keys::key(unassigned, user),
      std::move(v));
}

}  // namespace switchboard::storage
