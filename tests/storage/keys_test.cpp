#include "storage/keys.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "storage/shard.hpp"

using namespace switchboard::storage;

namespace {

// Random ids of 1..6 bytes drawn mostly from the bytes that matter to the
// escaping (0x00, 0x01, 0xFF), so that ids share prefixes and nulls often.
std::string random_id(std::mt19937& rng) {
  static const char alphabet[] = {'\x00', '\x01', '\xff', 'a', 'b', '\xfe'};
  std::uniform_int_distribution<std::size_t> len(1, 6), pick(0, 5);
  std::string id(len(rng), ' ');
  for (auto& c : id) c = alphabet[pick(rng)];
  return id;
}

}  // namespace

TEST_CASE("message keys sort by conversation, then by msg_id", "[keys]") {
  CHECK(keys::message_key(3, "c1", 2) < keys::message_key(3, "c1", 10));
  CHECK(keys::message_key(3, "c1", 255) < keys::message_key(3, "c1", 256));
  CHECK(keys::message_key(3, "c1", ~0ull) < keys::message_key(3, "c2", 1));
  CHECK(keys::message_key(3, "c", ~0ull) < keys::message_key(3, "c1", 1));
  CHECK(keys::message_key(3, "zz", 1) < keys::message_key(4, "a", 1));
}

TEST_CASE("the layout is the shard, escaped ids and big-endian numbers",
          "[keys]") {
  CHECK(keys::message_key(0x0102, std::string("a\0b", 3), 5) ==
        std::string("\x01\x02"
                    "a\x00\xff"
                    "b\x00\x01"
                    "\x00\x00\x00\x00\x00\x00\x00\x05",
                    16));
  CHECK(keys::seq_key(7, 1) == std::string("\x00\x07\0\0\0\0\0\0\0\x01", 10));
}

TEST_CASE("a key decodes to its parts and nothing else", "[keys]") {
  auto k = keys::key(9, "conv", std::string("u\0\xff", 3), "x");
  auto p = keys::decode(column_family::idempotency, k);
  REQUIRE(p.has_value());
  CHECK(p->shard == 9);
  CHECK(p->ids ==
        std::vector<std::string>{"conv", std::string("u\0\xff", 3), "x"});
  CHECK(keys::encode(column_family::idempotency, *p) == k);
  CHECK_FALSE(keys::decode(column_family::members, k).has_value());
  CHECK_FALSE(keys::decode(column_family::conversations, "\x00").has_value());
  CHECK_FALSE(
      keys::decode(column_family::conversations, std::string("\0\0a\0\x02", 5))
          .has_value());  // a bad escape
  CHECK_FALSE(
      keys::decode(column_family::conversations, std::string("\0\0\0\x01", 4))
          .has_value());  // an empty id
  auto m = keys::message_key(1, "c", 42);
  CHECK(keys::message_id(m) == 42u);
  CHECK(keys::decode(column_family::messages, m)->number == 42u);
  CHECK_FALSE(keys::message_id(m.substr(0, m.size() - 1)).has_value());
  CHECK_FALSE(keys::message_id("").has_value());
}

TEST_CASE("the prefix is the shard and the first id", "[keys]") {
  auto k = keys::key(1, "abc", "d");
  CHECK(keys::prefix_size(k) == 2 + 3 + 2);
  CHECK(keys::prefix_size(keys::message_key(1, "abc", 0xff00ff00ff00ff00)) ==
        7);
  CHECK(keys::prefix_size("") == 0);
  CHECK(keys::prefix_size(std::string("\0\0ab", 4)) == 0);
}

TEST_CASE("a bare-terminator collision cannot happen", "[keys]") {
  // With 0x00 alone as the terminator these two would be the same bytes.
  CHECK(keys::key(0, "a", "\xff\x01") !=
        keys::key(0, std::string("a\0", 2), "\x01"));
}

TEST_CASE("key order is id order for random ids", "[keys]") {
  std::mt19937 rng(13);
  using tuple = std::tuple<std::string, std::string, std::uint64_t>;
  std::vector<tuple> ids;
  for (int i = 0; i < 2000; ++i)
    ids.emplace_back(random_id(rng), random_id(rng), rng() % 4);
  auto members = [](const tuple& t) {
    return keys::key(5, std::get<0>(t), std::get<1>(t));
  };
  auto messages = [](const tuple& t) {
    return keys::message_key(5, std::get<0>(t), std::get<2>(t));
  };
  for (std::size_t i = 0; i + 1 < ids.size(); ++i) {
    const auto& a = ids[i];
    const auto& b = ids[i + 1];
    auto ab2 = std::tie(std::get<0>(a), std::get<1>(a));
    auto bb2 = std::tie(std::get<0>(b), std::get<1>(b));
    INFO("pair " << i);
    CHECK((members(a) < members(b)) == (ab2 < bb2));
    CHECK((members(a) == members(b)) == (ab2 == bb2));
    auto am = std::tie(std::get<0>(a), std::get<2>(a));
    auto bm = std::tie(std::get<0>(b), std::get<2>(b));
    CHECK((messages(a) < messages(b)) == (am < bm));
    CHECK(keys::decode(column_family::members, members(a))->ids ==
          std::vector<std::string>{std::get<0>(a), std::get<1>(a)});
  }
  // Sorting the keys sorts the ids.
  std::vector<std::string> encoded;
  for (auto& t : ids) encoded.push_back(members(t));
  std::sort(encoded.begin(), encoded.end());
  std::sort(ids.begin(), ids.end());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto p = keys::decode(column_family::members, encoded[i]);
    REQUIRE(p.has_value());
    CHECK(p->ids ==
          std::vector<std::string>{std::get<0>(ids[i]), std::get<1>(ids[i])});
  }
}

TEST_CASE("every key of a shard lies in its shard_range, and no other",
          "[keys]") {
  std::mt19937 rng(7);
  constexpr std::uint32_t shards = 256;
  for (int i = 0; i < 3000; ++i) {
    auto a = random_id(rng), b = random_id(rng);
    auto shard = shard_of(a, shards);
    std::vector<std::pair<column_family, std::string>> ks = {
        {column_family::messages, keys::message_key(shard, a, rng())},
        {column_family::members, keys::key(shard, a, b)},
        {column_family::last_seen, keys::key(shard, a)},
        {column_family::push_outbox, keys::seq_key(shard, rng())},
    };
    for (auto& [cf, k] : ks) {
      auto in = keys::shard_range(cf, shard);
      CHECK(k >= in.begin);
      CHECK(k < in.end);
      auto other = keys::shard_range(
          cf, static_cast<std::uint16_t>((shard + 1) % shards));
      CHECK_FALSE((k >= other.begin && k < other.end));
    }
  }
  auto last = keys::shard_range(column_family::messages, 0xffff);
  CHECK(last.begin == "\xff\xff");
  CHECK(last.end.empty());  // to the end of the column family
}

TEST_CASE("an id prefix key starts every key whose id has that prefix",
          "[keys]") {
  auto p = keys::id_prefix_key(2, std::string("g\0", 2));
  CHECK(keys::key(2, std::string("g\0x", 3)).rfind(p, 0) == 0);
  CHECK(keys::key(2, std::string("g\0", 2)).rfind(p, 0) == 0);
  CHECK(keys::key(2, "g").rfind(p, 0) != 0);
  CHECK(keys::key(2, "g\x01").rfind(p, 0) != 0);
  CHECK(keys::key(3, std::string("g\0", 2)).rfind(p, 0) != 0);
}

TEST_CASE("ids must be 1..255 bytes", "[keys]") {
  CHECK_FALSE(keys::valid_id(""));
  CHECK(keys::valid_id("a"));
  CHECK(keys::valid_id(std::string(255, 'a')));
  CHECK_FALSE(keys::valid_id(std::string(256, 'a')));
}
