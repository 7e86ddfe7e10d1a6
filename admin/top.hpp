#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <vector>

// The admin shell's `top` (top_command.cpp), its arithmetic apart for
// tests.
namespace switchboard::admin {

// The value at quantile q (0..1) of one interval's histogram: `counts` per
// bucket (+Inf last) under `bounds`, linear within a bucket; the last
// bound for the +Inf bucket; -1 for an empty interval.
double interval_quantile(const std::vector<double>& bounds,
                         const std::vector<double>& counts, double q);

// One line of `top` from two samples of /admin/v1/top: rates over the time
// between them, the send latency's p50 and p99 (ms) in it, the mean group
// commit size and write time, the gauges and slowest conversations of
// `now`.
boost::json::object top_line(const boost::json::object& now,
                             const boost::json::object& before);
// As text; `header` puts the column names first.
std::string top_text(const boost::json::object& line, bool header);

}  // namespace switchboard::admin
