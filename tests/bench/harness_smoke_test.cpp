#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "tests/support/node_process.hpp"
#include "tests/support/temp_dir.hpp"

using switchboard::testing::temp_dir;

namespace {

// Runs the harness against a node of its own; returns its exit status and
// the JSON report. Tiny loads: this keeps the harness working, it measures
// nothing.
boost::json::object run_bench(const std::string& args, int& status) {
  temp_dir dir;
  auto json = (dir.path() / "out.json").string();
  std::string cmd = std::string(SWITCHBOARD_BENCH_BIN) + " " + args +
                    " --spawn --quiet --json " + json + " > " +
                    (dir.path() / "log").string() + " 2>&1";
  status = std::system(cmd.c_str());
  std::ifstream in(json);
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  auto v = boost::json::parse(text.str(), ec);
  if (ec || !v.is_object()) FAIL("no JSON report from: " << cmd);
  return v.as_object();
}

}  // namespace

TEST_CASE("the direct scenario runs closed and open loop without violations",
          "[bench]") {
  int status = 0;
  auto r = run_bench("direct --duration 1 --connections 4 --window 2", status);
  CHECK(status == 0);
  CHECK(r["violations"] == 0);
  CHECK(r["send_to_delivered"].as_object()["count"].to_number<int>() > 0);
  r = run_bench("direct --duration 1 --connections 4 --rate 200", status);
  CHECK(status == 0);
  CHECK(r["violations"] == 0);
  CHECK(r["send_to_received"].as_object()["count"].to_number<int>() > 0);
}

TEST_CASE("the group scenario delivers to every member", "[bench]") {
  int status = 0;
  auto r = run_bench(
      "group --duration 1 --connections 6 --group-size 3 --window 2", status);
  CHECK(status == 0);
  CHECK(r["violations"] == 0);
  CHECK(r["deliveries_per_s"].to_number<double>() >
        r["acked_per_s"].to_number<double>());
}

TEST_CASE("the channel scenario delivers to its online members only",
          "[bench]") {
  int status = 0;
  // 1,500 members (two members requests after the create), 4 online, 2
  // sending: every message reaches the 3 other online members.
  auto r = run_bench(
      "channel --duration 1 --members 1500 --online 4 --senders 2 --window 2 "
      "--node-arg --fanout-threshold --node-arg 3",
      status);
  CHECK(status == 0);
  CHECK(r["violations"] == 0);
  auto acked = r["acked_per_s"].to_number<double>();
  CHECK(acked > 0);
  CHECK(r["deliveries_per_s"].to_number<double>() ==
        Approx(3 * acked).epsilon(0.01));
  CHECK(r["connections"] == 4);
}

TEST_CASE("the connect and idle scenarios count handshakes and memory",
          "[bench]") {
  int status = 0;
  auto r = run_bench("connect --duration 1 --connections 4", status);
  CHECK(status == 0);
  CHECK(r["handshakes_per_s"].to_number<double>() > 0);
  r = run_bench("idle --duration 1 --connections 20", status);
  CHECK(status == 0);
  CHECK(r.contains("rss_kb_per_connection"));
}

TEST_CASE("tokens can come from a command instead of the secret", "[bench]") {
  switchboard::testing::node_process node;
  temp_dir dir;
  auto json = (dir.path() / "out.json").string();
  std::string token_cmd = std::string(SWITCHBOARD_BIN) +
                          " token --jwt-secret " +
                          switchboard::testing::node_process::secret;
  auto r = switchboard::testing::run_command(
      {SWITCHBOARD_BENCH_BIN, "direct", "--port", std::to_string(node.port()),
       "--token-command", token_cmd, "--duration", "1", "--connections", "2",
       "--window", "1", "--quiet", "--json", json});
  INFO(r.output);
  CHECK(r.status == 0);
  std::ifstream in(json);
  std::stringstream text;
  text << in.rdbuf();
  auto v = boost::json::parse(text.str()).as_object();
  CHECK(v["violations"] == 0);
  CHECK(v["acked_per_s"].to_number<double>() > 0);

  auto bad = switchboard::testing::run_command(
      {SWITCHBOARD_BENCH_BIN, "direct", "--port", std::to_string(node.port()),
       "--token-command", "false", "--duration", "1", "--quiet"});
  CHECK(bad.status != 0);
  CHECK(bad.output.find("token command") != std::string::npos);
}

TEST_CASE("bench --spawn-cluster loads a cluster of its own and stops it",
          "[bench]") {
  temp_dir dir;
  auto json = (dir.path() / "out.json").string();
  auto r = switchboard::testing::run_command(
      {SWITCHBOARD_BENCH_BIN, "direct", "--spawn-cluster", "2", "--duration",
       "1", "--connections", "8", "--window", "2", "--json", json});
  INFO(r.output);
  CHECK(r.status == 0);
  // The progress lines say the shards were spread before the load.
  CHECK(r.output.find("shards owned n1:") != std::string::npos);
  std::ifstream in(json);
  std::stringstream text;
  text << in.rdbuf();
  auto v = boost::json::parse(text.str()).as_object();
  CHECK(v["nodes"] == 2);
  CHECK(v["violations"] == 0);
  CHECK(v["errors"].as_object().empty());
  CHECK(v["send_to_delivered"].as_object()["count"].to_number<int>() > 0);
}

TEST_CASE("bench plot writes the run as an SVG beside its report", "[bench]") {
  switchboard::testing::node_process node;
  temp_dir dir;
  auto svg = (dir.path() / "run.svg").string();
  auto r = switchboard::testing::run_command(
      {SWITCHBOARD_BENCH_BIN, "direct", "--port", std::to_string(node.port()),
       "--jwt-secret", switchboard::testing::node_process::secret, "--duration",
       "2", "--connections", "4", "--window", "1", "--quiet", "--plot", svg});
  INFO(r.output);
  REQUIRE(r.status == 0);
  std::ifstream in(svg);
  std::stringstream text;
  text << in.rdbuf();
  auto s = text.str();
  CHECK(s.rfind("<svg", 0) == 0);
  CHECK(s.find("send -> received") != std::string::npos);
  CHECK(s.find("messages per second over the run") != std::string::npos);
  CHECK(s.find("</svg>") != std::string::npos);
}
