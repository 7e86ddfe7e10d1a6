#include <map>
#include <set>
#include <vector>

#include "tests/e2e/e2e_fixture.hpp"

using namespace switchboard::testing;
using namespace std::chrono_literals;

TEST_CASE_METHOD(unlimited_fixture,
                 "a burst of acks ends at the highest, in fewer receipts",
                 "[e2e][messaging]") {
  auto alice = connect("alice");
  auto bob = connect("bob");
  auto conv = create(*alice, "direct", {"bob"});
  constexpr int n = 50;
  for (int i = 1; i <= n; ++i) send(*alice, conv, "m", std::to_string(i));
  for (int i = 1; i <= n; ++i) bob->expect("message");
  // bob acks every message at once, as a client that acks each on arrival.
  for (int i = 1; i <= n; ++i)
    bob->send(json::object{{"type", "ack"}, {"conv_id", conv}, {"msg_id", i}});
  // alice's receipts rise to the last; acks that waited behind one in
  // flight went as one.
  std::int64_t last = 0;
  int receipts = 0;
  while (last < n) {
    auto r = alice->expect("receipt");
    CHECK(r["state"] == "delivered");
    auto id = json::value_to<std::int64_t>(r["msg_id"]);
    CHECK(id > last);
    last = id;
    ++receipts;
  }
  CHECK(last == n);
  CHECK(receipts < n);
  // The cursor is the highest, and every ack was answered (none is left
  // holding the connection's requests in flight).
  auto inbox = bob->request({{"type", "conversations"}});
  CHECK(inbox["conversations"].as_array()[0].as_object()["delivered_upto"] ==
        n);
  CHECK(bob->request({{"type", "ping"}})["type"] == "pong");
  CHECK_FALSE(alice->wait_for("receipt", 200ms));
}

TEST_CASE_METHOD(unlimited_fixture,
                 "acks that fail are each answered with their own rid",
                 "[e2e][messaging]") {
  auto alice = connect("alice");
  auto carol = connect("carol");
  auto conv = create(*alice, "direct", {"bob"});
  send(*alice, conv, "m", "1");
  // carol is no member: every ack of hers is refused, the ones that waited
  // behind another too, each under its own rid.
  constexpr int n = 20;
  for (int i = 1; i <= n; ++i)
    carol->send(json::object{{"type", "ack"},
                             {"conv_id", conv},
                             {"msg_id", i},
                             {"rid", "a" + std::to_string(i)}});
  std::set<std::string> rids;
  for (int i = 1; i <= n; ++i) {
    auto e = carol->expect("error");
    CHECK(e["code"] == "forbidden");
    rids.insert(str(e["rid"]));
  }
  CHECK(rids.size() == n);
  CHECK(rids.count("a1") == 1);
  CHECK(rids.count("a20") == 1);
}

TEST_CASE_METHOD(unlimited_fixture,
                 "a pipelined burst reaches every other device once, in order",
                 "[e2e][messaging]") {
  auto alice = connect("alice");
  auto alice2 = connect("alice");
  auto bob = connect("bob");
  auto conv = create(*alice, "direct", {"bob"});
  constexpr int n = 300;
  send_pipelined(*alice, conv, n, "c");
  for (int i = 1; i <= n; ++i) REQUIRE(alice->expect("sent")["msg_id"] == i);
  for (auto* c : {bob.get(), alice2.get()}) expect_in_order(*c, n);
  // The sending connection has its answers, not its own messages.
  CHECK_FALSE(alice->has("message"));
  CHECK(metric(node.port(), "switchboard_messages_delivered_total") == 2 * n);
}

TEST_CASE_METHOD(unlimited_fixture,
                 "sends that wait behind one in flight are answered one by one",
                 "[e2e][messaging]") {
  auto alice = connect("alice");
  auto bob = connect("bob");
  auto conv = create(*alice, "direct", {"bob"});
  // A burst with a repeat of a client_msg_id and a body over max_body in
  // it: each frame gets its own answer under its own rid, the others are
  // stored as if sent alone.
  std::vector<json::object> frames;
  for (int i = 1; i <= 30; ++i)
    frames.push_back({{"type", "send"},
                      {"conv_id", conv},
                      {"client_msg_id", "c" + std::to_string(i)},
                      {"body", "m" + std::to_string(i)},
                      {"rid", "s" + std::to_string(i)}});
  frames[19]["client_msg_id"] = "c5";           // s20 repeats s5
  frames[24]["body"] = std::string(5000, 'x');  // s25 is too large
  for (auto& f : frames) alice->send(f);
  std::map<std::string, json::object> answers;
  for (int i = 0; i < 29; ++i) {
    auto a = alice->expect("sent");
    answers[str(a["rid"])] = a;
  }
  auto refused = alice->expect("error");
  answers[str(refused["rid"])] = refused;
  REQUIRE(answers.size() == 30);
  CHECK(answers["s25"]["type"] == "error");
  CHECK(answers["s25"]["code"] == "too_large");
  CHECK(answers["s20"]["duplicate"] == true);
  CHECK(answers["s20"]["msg_id"] == answers["s5"]["msg_id"]);
  // 28 messages, gap-free, in the order they were sent.
  std::int64_t expected = 1;
  for (int i = 1; i <= 30; ++i) {
    if (i == 20 || i == 25) continue;
    auto& a = answers["s" + std::to_string(i)];
    CHECK(a["type"] == "sent");
    CHECK(a["client_msg_id"] == ("c" + std::to_string(i)).c_str());
    CHECK(a["duplicate"] == false);
    CHECK(a["msg_id"] == expected++);
  }
  auto ids = history_ids(*bob, conv);
  CHECK(ids.size() == 28);
}
