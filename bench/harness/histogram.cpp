#include "bench/harness/histogram.hpp"

#include <algorithm>
#include <cmath>

namespace switchboard::bench {

namespace {
constexpr std::uint64_t sub_count = 1ull << 11;
}

histogram::histogram()
    : counts_(static_cast<std::size_t>(magnitudes + 1) * sub_count, 0) {}

// Values below 2^sub_bits are exact; above, each power of two is split into
// sub_count/2 linear buckets (the top half of the sub-buckets).
std::size_t histogram::index_of(std::uint64_t v) const {
  if (v < sub_count) return static_cast<std::size_t>(v);
  int msb = 63 - __builtin_clzll(v);
  int shift = msb - sub_bits + 1;
  int magnitude = std::min(shift, magnitudes);
  std::uint64_t sub = v >> shift;  // in [sub_count/2, sub_count)
  if (shift > magnitudes) sub = sub_count - 1;
  return static_cast<std::size_t>(magnitude) * sub_count +
         static_cast<std::size_t>(sub);
}

std::uint64_t histogram::value_at(std::size_t index) const {
  std::uint64_t magnitude = index / sub_count;
  std::uint64_t sub = index % sub_count;
  if (magnitude == 0) return sub;
  // The middle of the bucket.
  return (sub << magnitude) + ((1ull << magnitude) >> 1);
}

void histogram::record(std::uint64_t ns) {
  ++counts_[index_of(ns)];
  ++count_;
  max_ = std::max(max_, ns);
}

void histogram::merge(const histogram& other) {
  for (std::size_t i = 0; i < counts_.size(); ++i)
    counts_[i] += other.counts_[i];
  count_ += other.count_;
  max_ = std::max(max_, other.max_);
}

std::uint64_t histogram::percentile(double p) const {
  if (count_ == 0) return 0;
  auto target = static_cast<std::uint64_t>(
      std::ceil(p / 100.0 * static_cast<double>(count_)));
  target = std::clamp<std::uint64_t>(target, 1, count_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= target) return std::min(value_at(i), max_);
  }
  return max_;
}

}  // namespace switchboard::bench
