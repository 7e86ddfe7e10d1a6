#include "app/shard_copy.hpp"

#include <caf/all.hpp>
#include <chrono>
#include <thread>

#include "actors/messages.hpp"
#include "actors/node.hpp"
#include "storage/store.hpp"

namespace switchboard::app {

namespace {

using namespace std::chrono_literals;

// A page of keys sent to the target at once.
constexpr std::size_t page_bytes = 512 * 1024;
// One page's round trip, its write in the target's store included.
constexpr auto page_timeout = 10s;
// The target learns of the move (or the leader's epoch) from its own
// watch, which may lag the txn: a page it refuses for that is sent again
// for this long.
constexpr auto target_catch_up = 3s;

bool lagging_map(const std::string& why) {
  return why.find("is not moving to") != std::string::npos ||
         why.find("is not led from elsewhere") != std::string::npos;
}

}  // namespace

std::string copy_shard(actors::node& node, const caf::actor& target,
                       std::uint32_t shard, std::int64_t epoch, bool replica,
                       std::size_t& keys, const storage::store::snapshot* at,
                       storage::shard_position* copied) {
  if (copied) *copied = {};
  auto send_page = [&](actors::shard_chunk& c) {
    std::string why;
    auto deadline = std::chrono::steady_clock::now() + target_catch_up;
    do {
      why = node.ask(target, caf::make_message(actors::ingest_atom::value, c),
                     std::chrono::milliseconds(page_timeout));
      if (!lagging_map(why)) break;
      std::this_thread::sleep_for(50ms);
    } while (std::chrono::steady_clock::now() < deadline);
    return why.empty() ? why : "the target refused a page: " + why;
  };
  auto& store = node.store();
  bool first = true;  // the target drops what it had of the shard first
  keys = 0;
  for (std::size_t cf = 0; cf < storage::column_family_count; ++cf) {
    if (!storage::moves_with_shard(static_cast<storage::column_family>(cf)))
      continue;
    std::string after;
    for (;;) {
      auto page = store.read_shard(static_cast<std::uint16_t>(shard),
                                   static_cast<storage::column_family>(cf),
                                   after, page_bytes, at);
      if (!page) return "cannot read the shard: " + page.err().message;
      if (page->kvs.empty()) break;
      actors::shard_chunk c;
      c.shard = shard;
      c.epoch = epoch;
      c.cf = storage::tag_of(static_cast<storage::column_family>(cf));
      c.first = first;
      c.replica = replica;
      for (auto& [k, v] : page->kvs) {
        if (copied && cf == std::size_t(storage::column_family::shard_log) &&
            k == storage::position_key(static_cast<std::uint16_t>(shard)))
          if (auto p = storage::decode_position(v)) *copied = *p;
        c.keys.push_back(k);
        c.values.push_back(std::move(v));
      }
      after = page->kvs.back().first;
      keys += page->kvs.size();
      if (auto why = send_page(c); !why.empty()) return why;
      first = false;
      if (!page->more) break;
    }
  }
  if (first) {  // an empty shard: still, nothing stale stays at the target
    actors::shard_chunk c;
    c.shard = shard;
    c.epoch = epoch;
    c.first = true;
    c.replica = replica;
    if (auto why = send_page(c); !why.empty()) return why;
  }
  return "";
}

}  // namespace switchboard::app
