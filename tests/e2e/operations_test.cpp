#include <fstream>
#include <thread>

#include "tests/e2e/e2e_fixture.hpp"

using namespace switchboard::testing;

namespace {

// The value of an unlabelled (or exactly labelled) sample in a scrape.
double metric(const std::string& scrape, const std::string& sample) {
  auto pos = scrape.find("\n" + sample + " ");
  if (pos == std::string::npos) FAIL("no sample " << sample);
  return std::stod(scrape.substr(pos + sample.size() + 2));
}

std::string write_file(const temp_dir& dir, const std::string& name,
                       const std::string& text) {
  auto path = (dir.path() / name).string();
  std::ofstream(path) << text;
  return path;
}

}  // namespace

TEST_CASE_METHOD(e2e_fixture,
                 "health, readiness and metrics are served without a token",
                 "[e2e][operations]") {
  CHECK(http_request(node.port(), "GET", "/healthz").status == 200);
  auto ready = http_request(node.port(), "GET", "/readyz");
  CHECK(ready.status == 200);
  auto m = http_request(node.port(), "GET", "/metrics");
  CHECK(m.status == 200);
  CHECK(m.headers["content-type"].rfind("text/plain", 0) == 0);
  CHECK(m.body.find("# TYPE switchboard_send_latency_seconds histogram") !=
        std::string::npos);
  CHECK(http_request(node.port(), "POST", "/metrics", "{}").status == 405);
}

TEST_CASE_METHOD(e2e_fixture, "metrics move when messages flow",
                 "[e2e][operations]") {
  auto before = http_request(node.port(), "GET", "/metrics").body;
  {
    auto alice = connect("alice");
    auto bob = connect("bob");
    auto conv = create(*alice, "direct", {"bob"});
    for (int i = 0; i < 3; ++i) send(*alice, conv, "m", std::to_string(i));
    for (int i = 0; i < 3; ++i) bob->expect("message");
    alice->send("not json");
    alice->expect("error");
    auto after = http_request(node.port(), "GET", "/metrics").body;
    CHECK(metric(after, "switchboard_messages_accepted_total") ==
          metric(before, "switchboard_messages_accepted_total") + 3);
    CHECK(metric(after, "switchboard_messages_delivered_total") >= 3);
    CHECK(metric(after, "switchboard_errors_total{code=\"bad_request\"}") == 1);
    CHECK(metric(after, "switchboard_connections") == 2);
    CHECK(metric(after, "switchboard_send_latency_seconds_count") == 3);
    CHECK(metric(after, "switchboard_commit_batch_size_count") >= 1);
    // No user or conversation ids in labels.
    CHECK(after.find("alice") == std::string::npos);
    CHECK(after.find(conv) == std::string::npos);
  }
}

TEST_CASE("configuration: a file, under the environment, under flags",
          "[e2e][operations]") {
  temp_dir dir;
  auto file =
      write_file(dir, "node.toml", "max_body = 100\nnode_id = \"from-file\"\n");
  auto body_limit = [](e2e_fixture& f) {
    auto c = f.connect("alice");
    auto conv = e2e_fixture::create(*c, "direct", {"bob"});
    for (int n : {150, 250, 350})
      if (e2e_fixture::send(*c, conv, std::string(n, 'x'),
                            std::to_string(n))["type"] != "sent")
        return n;
    return 0;
  };
  {
    e2e_fixture f({"--config", file});
    CHECK(body_limit(f) == 150);
    CHECK(f.connect("x")->welcome["node"] == "from-file");
  }
  {
    e2e_fixture f({"--config", file}, {"SWITCHBOARD_MAX_BODY=200"});
    CHECK(body_limit(f) == 250);
  }
  {
    e2e_fixture f({"--config", file, "--max-body", "300"},
                  {"SWITCHBOARD_MAX_BODY=200"});
    CHECK(body_limit(f) == 350);
  }
}

TEST_CASE("bad configuration stops start-up with a message naming the key",
          "[e2e][operations]") {
  temp_dir dir;
  auto data = (dir.path() / "data").string();
  auto unknown = write_file(dir, "a.toml", "max_bodyy = 5\n");
  auto r = run_switchboard({"serve", "--config", unknown, "--data-dir", data});
  CHECK(r.status == 2);
  CHECK(r.output.find("max_bodyy") != std::string::npos);
  auto bad = write_file(dir, "b.toml", "heartbeat_s = \"soon\"\n");
  r = run_switchboard({"serve", "--config", bad, "--data-dir", data});
  CHECK(r.status == 2);
  CHECK(r.output.find("heartbeat_s") != std::string::npos);
  r = run_switchboard({"serve", "--data-dir", data},
                      {"SWITCHBOARD_MAX_BODY=lots"});
  CHECK(r.status == 2);
  CHECK(r.output.find("SWITCHBOARD_MAX_BODY") != std::string::npos);
  r = run_switchboard({"serve", "--data-dir", data, "--durability", "maybe"});
  CHECK(r.status == 2);
  CHECK(r.output.find("--durability") != std::string::npos);
  r = run_switchboard({"serve", "--frobnicate"});
  CHECK(r.status == 2);
  CHECK(r.output.find("--frobnicate") != std::string::npos);
  auto help = run_switchboard({"serve", "--help"});
  CHECK(help.status == 0);
  for (auto opt : {"--listen", "--max-body", "--config", "--log-level",
                   "--shutdown-timeout-s"})
    CHECK(help.output.find(opt) != std::string::npos);
}

TEST_CASE_METHOD(e2e_fixture,
                 "SIGTERM drains: every acknowledged message is kept, sessions "
                 "get 1001, exit 0",
                 "[e2e][operations]") {
  auto alice = connect("alice");
  auto bob = connect("bob");
  auto conv = create(*alice, "group", {"bob"});
  // Sends in flight while the node is told to stop.
  const int n = 300;
  for (int i = 1; i <= n; ++i)
    alice->send(json::object{{"type", "send"},
                             {"conv_id", conv},
                             {"client_msg_id", std::to_string(i)},
                             {"body", "m"}});
  alice->expect("sent");  // at least one is in
  std::thread stopper([&] { CHECK(node.stop() == 0); });
  std::set<std::uint64_t> acked;
  for (;;) {
    auto f = alice->wait_for("sent", 10s);
    if (!f) break;
    acked.insert(json::value_to<std::uint64_t>((*f)["msg_id"]));
  }
  CHECK(alice->wait_closed(10s) == 1001);
  CHECK(bob->wait_closed(10s) == 1001);
  stopper.join();
  node.start();
  auto c = connect("alice");
  auto ids = history_ids(*c, conv);
  std::multiset<std::uint64_t> stored(ids.begin(), ids.end());
  for (auto id : acked) CHECK(stored.count(id) == 1);
  CHECK(stored.size() >= acked.size() + 1);  // +1: the first, taken above
}

TEST_CASE("while draining, readyz and new upgrades answer 503",
          "[e2e][operations]") {
  e2e_fixture f({"--shutdown-timeout-s", "3"});
  // A client that never answers the close keeps the node draining until the
  // shutdown timeout.
  silent_client slow(f.node.port(), f.node.token("slow"));
  REQUIRE(slow.status() == 101);
  REQUIRE(http_request(f.node.port(), "GET", "/readyz").status == 200);
  auto port = f.node.port();
  int exit_status = -1;
  std::thread stopper([&] { exit_status = f.node.stop(); });
  auto deadline = std::chrono::steady_clock::now() + 5s;
  int ready = 200;
  while (ready == 200 && std::chrono::steady_clock::now() < deadline)
    ready = http_request(port, "GET", "/readyz").status;
  CHECK(ready == 503);
  CHECK(http_request(port, "GET", "/v1/ws?token=" + f.node.token("late"), {},
                     {}, true)
            .status == 503);
  CHECK(http_request(port, "GET", "/v1/conversations", {},
                     "Bearer " + f.node.token("late"))
            .status == 503);
  CHECK(http_request(port, "GET", "/healthz").status ==
        200);  // still listening
  stopper.join();
  CHECK(exit_status == 0);
}
