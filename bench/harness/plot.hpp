#pragma once

#include <string>
#include <utility>
#include <vector>

#include "bench/harness/histogram.hpp"
#include "bench/harness/results.hpp"

namespace switchboard::bench {

// A latency distribution as HdrHistogram plots it: points (x, ms) where x
// is log10(1 / (1 - p)) for percentile p (0: p0, 1: p90, 2: p99, 3: p99.9
// ...), from p0 up to `nines` nines, `steps` points per nine. Empty for an
// empty histogram.
std::vector<std::pair<double, double>> percentile_curve(const histogram& h,
                                                        int nines = 5,
                                                        int steps = 20);

// The run as an SVG image, with no library: each latency histogram as a
// percentile curve (log scale on the percentile axis), and messages acked
// and received per second over the run.
std::string plot_svg(const results& r);

}  // namespace switchboard::bench
