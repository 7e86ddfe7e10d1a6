#pragma once

#include <cstdint>
#include <vector>

namespace switchboard::bench {

// A latency histogram with log-linear buckets and 3 significant digits
// (HdrHistogram's idea, written here: HdrHistogram_c is not in Debian).
// Values are nanoseconds from 1 ns to about 1 hour; the value reported for a
// percentile is within 0.1 % of the recorded one. Not thread-safe: one per
// thread, merged at the end.
class histogram {
 public:
  histogram();
  void record(std::uint64_t ns);
  void merge(const histogram& other);

  std::uint64_t count() const noexcept { return count_; }
  std::uint64_t max() const noexcept { return max_; }
  // The value at percentile p (0..100); 0 when empty.
  std::uint64_t percentile(double p) const;

 private:
  static constexpr int sub_bits = 11;  // 2048 sub-buckets: 3 significant digits
  static constexpr int magnitudes = 32;
  std::size_t index_of(std::uint64_t v) const;
  std::uint64_t value_at(std::size_t index) const;

  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  std::uint64_t max_ = 0;
};

}  // namespace switchboard::bench
