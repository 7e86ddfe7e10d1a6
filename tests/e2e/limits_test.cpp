// What one user can make the node hold or do: outgoing queues in bytes,
// requests in flight per connection, history pages that are not read.
#include <fstream>
#include <set>
#include <sstream>

#include "tests/e2e/e2e_fixture.hpp"

using namespace switchboard::testing;

namespace {

// A line of /proc/PID/status in kB ("VmHWM", "VmRSS").
long status_kb(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field + ":", 0) == 0)
      return std::stol(line.substr(field.size() + 1));
  return -1;
}

// Fills `conv` with `n` messages of `size` bytes from `c`, 50 at a time.
void fill(ws_client& c, const std::string& conv, int n, std::size_t size) {
  std::string body(size, 'h');
  for (int i = 1; i <= n; i += 50) {
    for (int j = i; j < i + 50 && j <= n; ++j)
      c.send(json::object{{"type", "send"},
                          {"conv_id", conv},
                          {"client_msg_id", "f" + std::to_string(j)},
                          {"body", body}});
    for (int j = i; j < i + 50 && j <= n; ++j)
      REQUIRE(c.expect("sent", 30s)["type"] == "sent");
  }
}

const std::string in_flight_hits =
    R"(switchboard_limit_hits_total{limit="in_flight"})";

}  // namespace

TEST_CASE(
    "a client past the byte cap of its queue is closed with 1008 and "
    "loses nothing",
    "[e2e][limits]") {
  e2e_fixture f({"--max-queue-bytes", "262144", "--max-queue", "100000",
                 "--max-body", "16384", "--send-rate", "100000", "--send-burst",
                 "100000"});
  auto alice = f.connect("alice");
  auto bob = f.connect("bob");
  auto conv = e2e_fixture::create(*alice, "direct", {"bob"});
  bob->stop_reading();
  // 16 MB: more than the kernel's socket buffers hold on loopback, in
  // frames far fewer than the frame cap.
  fill(*alice, conv, 1000, 16000);
  bob->resume_reading();
  CHECK(bob->wait_closed(30s) == 1008);
  CHECK(metric(f.node.port(),
               R"(switchboard_limit_hits_total{limit="queue_bytes"})") >= 1);
  auto again = f.connect("bob");
  auto ids = e2e_fixture::history_ids(*again, conv);
  REQUIRE(ids.size() == 1000u);
  for (std::size_t i = 0; i < ids.size(); ++i) REQUIRE(ids[i] == i + 1);
}

TEST_CASE(
    "a connection at its cap of requests in flight is read no further "
    "until answers go out, and every request is answered",
    "[e2e][limits]") {
  e2e_fixture f({"--max-in-flight", "4", "--rate-sync", "100000/100000"});
  auto alice = f.connect("alice");
  auto conv = e2e_fixture::create(*alice, "group", {"bob"});
  fill(*alice, conv, 20, 100);
  alice->stop_reading();
  const int n = 300;
  for (int i = 0; i < n; ++i)
    alice->send(json::object{
        {"type", "sync"}, {"conv_id", conv}, {"rid", "s" + std::to_string(i)}});
  // The node pauses reading: the answers it could not write hold it back.
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (metric(f.node.port(), in_flight_hits) < 1 &&
         std::chrono::steady_clock::now() < deadline) {
  }
  CHECK(metric(f.node.port(), in_flight_hits) >= 1);
  alice->resume_reading();
  // Answers may come in any order (rid tells them apart); each comes once.
  std::set<std::string> rids;
  for (int i = 0; i < n; ++i)
    rids.insert(str(alice->expect("history", 10s)["rid"]));
  CHECK(rids.size() == static_cast<std::size_t>(n));
  CHECK(alice->request({{"type", "ping"}})["type"] == "pong");
}

TEST_CASE(
    "a reader that asks for history and does not read cannot make "
    "the node hold it",
    "[e2e][limits]") {
  e2e_fixture f({"--send-rate", "100000", "--send-burst", "100000",
                 "--rate-sync", "100000/100000"});
  auto alice = f.connect("alice");
  auto conv = e2e_fixture::create(*alice, "group", {"mallory"});
  fill(*alice, conv, 400, 4000);  // 1.6 MB; a page of 200 is 800 kB
  auto mallory = f.connect("mallory");
  auto before = status_kb(f.node.pid(), "VmHWM");
  REQUIRE(before > 0);
  mallory->stop_reading();
  // Unbounded, 1,000 pages of 200 messages would be 800 MB in the node.
  for (int i = 0; i < 1000; ++i)
    mallory->send(json::object{{"type", "sync"},
                               {"conv_id", conv},
                               {"limit", 200},
                               {"rid", "h" + std::to_string(i)}});
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (metric(f.node.port(), in_flight_hits) < 1 &&
         std::chrono::steady_clock::now() < deadline) {
  }
  REQUIRE(metric(f.node.port(), in_flight_hits) >= 1);
  auto peak = status_kb(f.node.pid(), "VmHWM");
  INFO("peak RSS before " << before << " kB, after " << peak << " kB");
  CHECK(peak - before < 64 * 1024);
  // Others are served meanwhile.
  CHECK(alice->request(
            {{"type", "sync"}, {"conv_id", conv}, {"limit", 5}})["type"] ==
        "history");
}

TEST_CASE("a flood of any request kind is rate limited for its sender only",
          "[e2e][limits]") {
  e2e_fixture f;
  auto alice = f.connect("alice");
  auto mallory = f.connect("mallory");
  auto conv = e2e_fixture::create(*mallory, "group", {"alice"});
  e2e_fixture::send(*mallory, conv, "hi", "1");
  std::vector<json::object> floods = {
      {{"type", "sync"}, {"conv_id", conv}},
      {{"type", "conversations"}},
      {{"type", "presence"}, {"user_ids", {"alice"}}},
      {{"type", "typing"}, {"conv_id", conv}},
      {{"type", "create"}, {"kind", "group"}, {"members", {"alice"}}},
      {{"type", "members"}, {"conv_id", conv}, {"add", {"zed"}}},
      {{"type", "ack"}, {"conv_id", conv}, {"msg_id", 1}},
      {{"type", "ping"}},
  };
  for (auto& frame : floods) {
    INFO(json::serialize(frame));
    const int n = 1200;
    for (int i = 0; i < n; ++i) {
      auto fr = frame;
      fr["rid"] = "f" + std::to_string(i);
      mallory->send(fr);
    }
    // Among the answers, the budget's refusals, each saying when to retry.
    bool limited = false;
    for (;;) {
      auto e = mallory->wait_for("error", 10s);
      REQUIRE(e);
      if ((*e)["code"] == "rate_limited") {
        CHECK(json::value_to<std::int64_t>((*e)["retry_after_ms"]) > 0);
        limited = true;
        break;
      }
    }
    CHECK(limited);
    // Alice is not held back by it.
    CHECK(alice->request({{"type", "sync"}, {"conv_id", conv}})["type"] ==
          "history");
    CHECK(alice->request({{"type", "ping"}})["type"] == "pong");
    mallory->clear();
  }
  // REST calls have budgets too (devices: 20 at once, then 2/s).
  http_result r;
  for (int i = 0; i < 100 && r.status != 429; ++i)
    r = http_request(f.node.port(), "POST", "/v1/devices",
                     R"({"platform":"fcm","token":"t"})",
                     "Bearer " + f.node.token("mallory"));
  CHECK(r.status == 429);
  CHECK(r.headers.count("retry-after") == 1);
  CHECK(r.json()["error"].as_object()["code"] == "rate_limited");
}

TEST_CASE(
    "a user probing conversations it is not in gets each forbidden, "
    "paced past its budget, and holds nobody else back",
    "[e2e][limits]") {
  e2e_fixture f({"--rate-denied", "5/5"});
  auto alice = f.connect("alice");
  auto conv = e2e_fixture::create(*alice, "group", {"bob"});
  auto mallory = f.connect("mallory");
  const int n = 40;  // within the connection's 64 requests in flight
  for (int i = 0; i < n; ++i)
    mallory->send(
        json::object{{"type", "sync"},
                     {"conv_id", i % 2 ? conv : "g-none" + std::to_string(i)},
                     {"rid", "p" + std::to_string(i)}});
  // Answered at once: what needs no conversation, and alice.
  mallory->send(json::object{{"type", "ping"}, {"rid", "ping"}});
  mallory->expect("pong", 10s);
  CHECK(alice->request({{"type", "sync"}, {"conv_id", conv}})["type"] ==
        "history");
  // Past the burst of 5 the denials come one per 200 ms: most are still
  // held when the pong is out.
  int early = 0, forbidden = 0;
  while (auto e = mallory->wait_for("error", 0ms)) {
    ++early;
    forbidden += (*e)["code"] == "forbidden";
  }
  CHECK(early < n / 2);
  for (int i = early; i < n; ++i) {
    auto e = mallory->wait_for("error", 20s);
    REQUIRE(e);
    // Never rate_limited: forbidden comes first in the protocol's order.
    CHECK((*e)["code"] == "forbidden");
    forbidden += (*e)["code"] == "forbidden";
  }
  CHECK(forbidden == n);
  CHECK(metric(f.node.port(),
               "switchboard_limit_hits_total{limit=\"rate_denied\"}") >=
        n - 10);
}
