#include <catch2/catch.hpp>
#include <cstring>
#include <set>
#include <sstream>

#include "metrics/metrics.hpp"

// The Prometheus text exposition (metrics/metrics.cpp): each family's HELP
// and TYPE once, before its samples; a histogram's buckets cumulative, in
// bound order, ending at +Inf equal to _count.
using namespace switchboard::metrics;

namespace {

// The lines of `text` that start with `prefix`.
std::vector<std::string> lines_of(const std::string& text,
                                  const std::string& prefix) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(prefix, 0) == 0) out.push_back(line);
  return out;
}

double value_of(const std::string& text, const std::string& series) {
  auto l = lines_of(text, series + " ");
  REQUIRE(l.size() == 1);
  return std::stod(l[0].substr(series.size() + 1));
}

}  // namespace

TEST_CASE("counters and gauges are exposed with their HELP and TYPE",
          "[metrics]") {
  node_metrics m;
  m.messages_accepted.inc(3);
  m.fanout_members.inc(7);
  m.channels.add(2);
  m.channels.add(-1);
  auto text = m.render();
  CHECK(value_of(text, "switchboard_messages_accepted_total") == 3);
  CHECK(value_of(text, "switchboard_fanout_members_total") == 7);
  CHECK(value_of(text, "switchboard_channels") == 1);
  CHECK(lines_of(text, "# TYPE switchboard_channels gauge").size() == 1);
  CHECK(lines_of(text, "# TYPE switchboard_fanout_members_total counter")
            .size() == 1);
  CHECK(lines_of(text, "# HELP switchboard_fanout_members_total ").size() == 1);
  // Every sample's family is declared before it, once.
  std::istringstream in(text);
  std::string line;
  std::set<std::string> typed;
  while (std::getline(in, line)) {
    if (line.rfind("# TYPE ", 0) == 0) {
      auto name = line.substr(7, line.find(' ', 7) - 7);
      CHECK(typed.insert(name).second);
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    auto name = line.substr(0, line.find_first_of("{ "));
    for (auto suffix : {"_bucket", "_sum", "_count"})
      if (name.size() > std::strlen(suffix) &&
          name.compare(name.size() - std::strlen(suffix), std::string::npos,
                       suffix) == 0 &&
          !typed.count(name))
        name = name.substr(0, name.size() - std::strlen(suffix));
    INFO(line);
    CHECK(typed.count(name) == 1);
  }
}

TEST_CASE("a labelled counter has one sample per label value", "[metrics]") {
  node_metrics m;
  using switchboard::common::proto_code;
  m.error(proto_code::forbidden);
  m.error(proto_code::forbidden);
  m.error(proto_code::internal);
  m.error(proto_code::none);  // no error: counted nowhere
  m.limit_hit("channel_typing");
  m.remote_request(remote_kind::sync, true, 0.002);
  m.remote_request(remote_kind::sync, false, 2.0);
  m.remote_request(remote_kind::budget, true, 0.001);
  auto text = m.render();
  CHECK(value_of(text,
                 "switchboard_cluster_requests_total{kind=\"sync\","
                 "outcome=\"ok\"}") == 1);
  CHECK(value_of(text,
                 "switchboard_cluster_requests_total{kind=\"sync\","
                 "outcome=\"failed\"}") == 1);
  CHECK(value_of(text,
                 "switchboard_cluster_requests_total{kind=\"budget\","
                 "outcome=\"ok\"}") == 1);
  CHECK(value_of(text, "switchboard_cluster_request_seconds_count") == 3);
  CHECK(value_of(text, "switchboard_errors_total{code=\"forbidden\"}") == 2);
  CHECK(value_of(text, "switchboard_errors_total{code=\"internal\"}") == 1);
  CHECK(lines_of(text, "switchboard_errors_total{").size() ==
        switchboard::common::proto_codes.size());
  CHECK(value_of(text,
                 "switchboard_limit_hits_total{limit=\"channel_typing\"}") ==
        1);
}

TEST_CASE("a histogram's buckets are cumulative and end at its count",
          "[metrics]") {
  node_metrics m;
  for (double v : {1.0, 3.0, 3.0, 600.0, 5000.0}) m.commit_batches.observe(v);
  auto text = m.render();
  auto buckets = lines_of(text, "switchboard_commit_batch_size_bucket{");
  REQUIRE(buckets.size() == 12);  // 11 bounds and +Inf
  double last = 0;
  for (auto& b : buckets) {
    auto v = std::stod(b.substr(b.rfind(' ') + 1));
    CHECK(v >= last);
    last = v;
  }
  CHECK(value_of(text, "switchboard_commit_batch_size_bucket{le=\"1\"}") == 1);
  CHECK(value_of(text, "switchboard_commit_batch_size_bucket{le=\"4\"}") == 3);
  CHECK(value_of(text, "switchboard_commit_batch_size_bucket{le=\"1024\"}") ==
        4);
  CHECK(value_of(text, "switchboard_commit_batch_size_bucket{le=\"+Inf\"}") ==
        5);
  CHECK(value_of(text, "switchboard_commit_batch_size_count") == 5);
  CHECK(value_of(text, "switchboard_commit_batch_size_sum") == 5607);
}
