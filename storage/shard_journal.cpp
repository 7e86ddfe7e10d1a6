#include "storage/shard_journal.hpp"

#include <algorithm>

#include "storage/keys.hpp"

namespace switchboard::storage {

namespace {

std::uint64_t read_be(std::string_view b, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i)
    v = (v << 8) | static_cast<unsigned char>(b[i]);
  return v;
}

}  // namespace

std::string journal_key(std::uint16_t shard, std::uint64_t seq) {
  std::string k;
  k.reserve(10);
  keys::append_shard(k, shard);
  keys::append_u64(k, seq);
  return k;
}

std::optional<std::uint64_t> journal_seq(std::uint16_t shard,
                                         std::string_view key) {
  if (key.size() != 10 || read_be(key, 2) != shard) return std::nullopt;
  return read_be(key.substr(2), 8);
}

std::string encode_journal(const journal_entry& e) {
  std::string v;
  std::size_t size = 9;
  for (auto& k : e.keys) size += 3 + k.key.size();
  v.reserve(size);
  keys::append_u64(v, static_cast<std::uint64_t>(e.epoch));
  v.push_back(static_cast<char>(e.ranges ? 1 : 0));
  for (auto& k : e.keys) {
    v.push_back(static_cast<char>(tag_of(k.cf)));
    v.push_back(static_cast<char>((k.key.size() >> 8) & 0xff));
    v.push_back(static_cast<char>(k.key.size() & 0xff));
    v += k.key;
  }
  return v;
}

std::optional<std::int64_t> journal_epoch(std::string_view v) {
  if (v.size() < 9 || static_cast<unsigned char>(v[8]) > 1) return std::nullopt;
  return static_cast<std::int64_t>(read_be(v, 8));
}

std::optional<journal_entry> decode_journal(std::string_view v) {
  auto epoch = journal_epoch(v);
  if (!epoch) return std::nullopt;
  journal_entry e;
  e.epoch = *epoch;
  e.ranges = v[8] == 1;
  v.remove_prefix(9);
  while (!v.empty()) {
    if (v.size() < 3) return std::nullopt;
    auto cf = family_of_tag(static_cast<std::uint8_t>(v[0]));
    auto n = static_cast<std::size_t>(read_be(v.substr(1), 2));
    if (!cf || v.size() < 3 + n) return std::nullopt;
    e.keys.push_back({*cf, std::string(v.substr(3, n))});
    v.remove_prefix(3 + n);
  }
  return e;
}

std::optional<std::int64_t> journal_summary::epoch_at(std::uint64_t seq) const {
  if (runs.empty() || seq < first || seq > last) return std::nullopt;
  // The last run that starts at or before seq.
  auto it = std::upper_bound(
      runs.begin(), runs.end(), seq,
      [](std::uint64_t s, const std::pair<std::int64_t, std::uint64_t>& r) {
        return s < r.second;
      });
  if (it == runs.begin()) return std::nullopt;
  return std::prev(it)->first;
}

std::vector<std::int64_t> journal_summary::flat() const {
  std::vector<std::int64_t> out{static_cast<std::int64_t>(first),
                                static_cast<std::int64_t>(last)};
  for (auto& [epoch, from] : runs) {
    out.push_back(epoch);
    out.push_back(static_cast<std::int64_t>(from));
  }
  return out;
}

std::optional<journal_summary> journal_summary::from_flat(
    const std::vector<std::int64_t>& v) {
  if (v.size() < 2 || v.size() % 2 != 0) return std::nullopt;
  journal_summary s;
  s.first = static_cast<std::uint64_t>(v[0]);
  s.last = static_cast<std::uint64_t>(v[1]);
  if (s.first > s.last) return std::nullopt;
  for (std::size_t i = 2; i < v.size(); i += 2) {
    auto from = static_cast<std::uint64_t>(v[i + 1]);
    // Runs in order, within the journal, epochs rising.
    if (from < s.first || from > s.last) return std::nullopt;
    if (!s.runs.empty() &&
        (from <= s.runs.back().second || v[i] <= s.runs.back().first))
      return std::nullopt;
    s.runs.emplace_back(v[i], from);
  }
  if (s.last != 0 && (s.runs.empty() || s.runs.front().second != s.first))
    return std::nullopt;
  return s;
}

std::optional<std::uint64_t> common_point(const journal_summary& a,
                                          const journal_summary& b) {
  auto x = std::min(a.last, b.last);
  for (;;) {
    // Nothing in common: an empty prefix, if both journals start at 1.
    if (x == 0) {
      bool whole_a = a.last == 0 || a.first == 1;
      bool whole_b = b.last == 0 || b.first == 1;
      if (whole_a && whole_b) return std::uint64_t{0};
      return std::nullopt;
    }
    auto ea = a.epoch_at(x);
    auto eb = b.epoch_at(x);
    if (!ea || !eb) return std::nullopt;  // before one journal's first
    if (*ea == *eb) return x;
    // Epochs rise along a log: below the start of the run with the higher
    // epoch at x, the other log's epochs are lower still, so the logs
    // differ on the whole run.
    const auto& higher = *ea > *eb ? a : b;
    auto run = std::upper_bound(
        higher.runs.begin(), higher.runs.end(), x,
        [](std::uint64_t s, const std::pair<std::int64_t, std::uint64_t>& r) {
          return s < r.second;
        });
    x = std::prev(run)->second - 1;
  }
}

}  // namespace switchboard::storage
