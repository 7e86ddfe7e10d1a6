// Channels (PROTOCOL.md "Limits"): a conversation with more members than
// the fan-out threshold delivers to its online members only, and an
// offline member costs nothing per message.
#include "tests/e2e/e2e_fixture.hpp"

using namespace switchboard::testing;

namespace {

// alice and `n` more members, m0 .. m(n-1), plus those of `extra`.
std::vector<std::string> many(int n, std::vector<std::string> extra = {}) {
  for (int i = 0; i < n; ++i) extra.push_back("m" + std::to_string(i));
  return extra;
}

double fanout(e2e_fixture& f) {
  return metric(f.node.port(), "switchboard_fanout_members_total");
}

// Waits (20 s at most) until `series` is exactly `want`.
void wait_metric_eq(e2e_fixture& f, const std::string& series, double want) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (metric(f.node.port(), series) != want) {
    INFO(series << " is not " << want);
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// Sends from `from` and waits for `to` to receive it: the fan-out of the
// message is over once it has (one conversation actor, in order).
std::uint64_t send_seen(ws_client& from, ws_client& to, const std::string& conv,
                        const std::string& cmid) {
  auto sent = e2e_fixture::send(from, conv, "hello " + cmid, cmid);
  auto m = to.expect("message");
  CHECK(m["client_msg_id"] == cmid.c_str());
  return e2e_fixture::u64(sent["msg_id"]);
}

// Sends from `from` (each seen by `to`) until one message's fan-out
// visits `want` members: the members' actors tell the channel of their
// connections asynchronously. Fails after 20 s.
void send_until_fanout(e2e_fixture& f, ws_client& from, ws_client& to,
                       const std::string& conv, double want,
                       const std::string& stem) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (int i = 0;; ++i) {
    auto before = fanout(f);
    send_seen(from, to, conv, stem + std::to_string(i));
    if (fanout(f) - before == want) return;
    REQUIRE(std::chrono::steady_clock::now() < deadline);
  }
}

}  // namespace

TEST_CASE("a channel visits its online members only, a group every member",
          "[e2e][channel]") {
  for (bool channel : {true, false}) {
    INFO("channel: " << channel);
    e2e_fixture f({"--fanout-threshold", channel ? "5" : "100"});
    auto alice = f.connect("alice");
    auto bob = f.connect("bob");
    auto conv = e2e_fixture::create(*alice, "group", many(38, {"bob"}));
    bob->expect("members");
    CHECK(metric(f.node.port(), "switchboard_channels") == (channel ? 1 : 0));
    auto before = fanout(f);
    for (int i = 0; i < 10; ++i)
      send_seen(*alice, *bob, conv, "c" + std::to_string(i));
    // 40 members; online: alice (her other devices) and bob.
    CHECK(fanout(f) - before == (channel ? 2 : 40) * 10);
  }
}

TEST_CASE(
    "a channel member who comes online gets live messages, one who "
    "goes offline costs nothing again",
    "[e2e][channel]") {
  e2e_fixture f({"--fanout-threshold", "5"});
  auto alice = f.connect("alice");
  auto bob = f.connect("bob");
  auto conv = e2e_fixture::create(*alice, "group", many(20, {"bob", "carol"}));
  bob->expect("members");
  send_seen(*alice, *bob, conv, "1");
  {
    auto carol = f.connect("carol");
    // Her actor tells the channel when she connects: a message after her
    // welcome may still overtake that, so wait until she is counted.
    send_until_fanout(f, *alice, *bob, conv, 3, "on");
    auto m = carol->expect("message");
    CHECK(m["conv_id"] == conv.c_str());
    // Her unread count comes from the cursors, as for any member.
    auto inbox = carol->request({{"type", "conversations"}});
    auto c = inbox["conversations"].as_array().at(0).as_object();
    CHECK(e2e_fixture::u64(c["unread"]) == e2e_fixture::u64(c["last_msg_id"]));
    carol->close();
  }
  send_until_fanout(f, *alice, *bob, conv, 2, "off");
  // Offline, she catches up by sync and her inbox.
  auto carol = f.connect("carol");
  auto inbox = carol->request({{"type", "conversations"}});
  auto c = inbox["conversations"].as_array().at(0).as_object();
  CHECK(e2e_fixture::u64(c["unread"]) == e2e_fixture::u64(c["last_msg_id"]));
  CHECK(e2e_fixture::history_ids(*carol, conv).size() ==
        e2e_fixture::u64(c["last_msg_id"]));
}

TEST_CASE("a group that grows past the threshold becomes a channel, and back",
          "[e2e][channel]") {
  e2e_fixture f({"--fanout-threshold", "3"});
  auto alice = f.connect("alice");
  auto bob = f.connect("bob");
  auto conv = e2e_fixture::create(*alice, "group", {"bob"});
  bob->expect("members");
  CHECK(metric(f.node.port(), "switchboard_channels") == 0);
  auto members = [&](std::vector<std::string> add,
                     std::vector<std::string> remove) {
    json::array a, r;
    for (auto& u : add) a.emplace_back(u);
    for (auto& u : remove) r.emplace_back(u);
    CHECK(alice->request({{"type", "members"},
                          {"conv_id", conv},
                          {"add", a},
                          {"remove", r}})["type"] == "ok");
    // The online members hear of it.
    bob->expect("members");
  };
  members({"c1", "c2"}, {});
  CHECK(metric(f.node.port(), "switchboard_channels") == 1);
  auto before = fanout(f);
  send_seen(*alice, *bob, conv, "as a channel");
  CHECK(fanout(f) - before == 2);
  members({}, {"c1"});
  CHECK(metric(f.node.port(), "switchboard_channels") == 0);
  before = fanout(f);
  send_seen(*alice, *bob, conv, "a group again");
  CHECK(fanout(f) - before == 3);
}

TEST_CASE("a channel learns who is online again when it is activated anew",
          "[e2e][channel]") {
  e2e_fixture f({"--fanout-threshold", "5", "--idle-actor-ms", "100"});
  auto alice = f.connect("alice");
  auto bob = f.connect("bob");
  auto conv = e2e_fixture::create(*alice, "group", many(10, {"bob"}));
  bob->expect("members");
  // Idle, the channel's actor passivates (its watches end with it).
  wait_metric_eq(f, "switchboard_channels", 0);
  auto before = fanout(f);
  send_seen(*alice, *bob, conv, "after passivation");
  CHECK(fanout(f) - before == 2);
  CHECK(metric(f.node.port(), "switchboard_channels") <= 1);
}

TEST_CASE("typing in a channel is throttled for the whole channel",
          "[e2e][channel]") {
  e2e_fixture f({"--fanout-threshold", "3", "--typing-interval-ms", "60000"});
  auto alice = f.connect("alice");
  std::vector<std::unique_ptr<ws_client>> typers;
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) ids.push_back("t" + std::to_string(i));
  auto conv = e2e_fixture::create(*alice, "group", ids);
  for (auto& id : ids) typers.push_back(f.connect(id));
  // Everyone is counted online once a message reaches them all.
  send_until_fanout(f, *alice, *typers.back(), conv, 7, "w");
  alice->clear();
  for (auto& t : typers)
    t->send(json::object{{"type", "typing"}, {"conv_id", conv}});
  // A typing is answered by nothing: the ones the channel dropped are
  // counted, and once all are, the marker comes after every one that went.
  const std::string dropped =
      "switchboard_limit_hits_total{limit=\"channel_typing\"}";
  wait_metric(f.node, dropped, 3);
  CHECK(metric(f.node.port(), dropped) == 3);
  e2e_fixture::send(*typers[0], conv, "marker", "marker");
  alice->expect("message");
  int typings = 0;
  while (alice->has("typing")) ++typings;
  // Three per interval for the whole channel (PROTOCOL.md).
  CHECK(typings == 3);
}

TEST_CASE(
    "members read each other's cursors on request, over WebSocket and "
    "REST",
    "[e2e][channel]") {
  e2e_fixture f({"--fanout-threshold", "2"});
  auto alice = f.connect("alice");
  auto bob = f.connect("bob");
  auto conv = e2e_fixture::create(*alice, "group", {"bob", "carol"});
  auto sent = e2e_fixture::send(*alice, conv, "to the channel", "1");
  e2e_fixture::send(*alice, conv, "again", "2");
  bob->send(json::object{
      {"type", "read"}, {"conv_id", conv}, {"msg_id", sent["msg_id"]}});
  // bob's read is durable once his next request is answered after it (one
  // conversation actor, his requests in order).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  json::object r;
  for (;;) {
    r = alice->request({{"type", "receipts"},
                        {"conv_id", conv},
                        {"user_ids", json::array{"bob", "carol", "nobody"}}});
    REQUIRE(r["type"] == "receipts");
    if (r["receipts"].as_array().at(0).at("read_upto") == 1) break;
    REQUIRE(std::chrono::steady_clock::now() < deadline);
  }
  CHECK(r["conv_id"] == conv.c_str());
  auto& list = r["receipts"].as_array();
  // Members only, in the order asked.
  REQUIRE(list.size() == 2);
  CHECK(list[0].at("user_id") == "bob");
  CHECK(list[0].at("delivered_upto") == 1);
  CHECK(list[1].at("user_id") == "carol");
  CHECK(list[1].at("read_upto") == 0);
  CHECK(list[1].at("delivered_upto") == 0);

  auto rest =
      http_request(f.node.port(), "GET",
                   "/v1/conversations/" + conv + "/receipts?user_ids=bob", {},
                   "Bearer " + f.node.token("alice"));
  CHECK(rest.status == 200);
  auto body = json::parse(rest.body).as_object();
  CHECK(body.at("receipts").at(0).at("read_upto") == 1);

  // Not a member: the same answer as for no such conversation.
  auto mallory = f.connect("mallory");
  CHECK(mallory->request({{"type", "receipts"},
                          {"conv_id", conv},
                          {"user_ids", json::array{"bob"}}})["code"] ==
        "forbidden");
  CHECK(alice->request({{"type", "receipts"},
                        {"conv_id", conv},
                        {"user_ids", json::array{}}})["code"] == "bad_request");
  auto empty = http_request(f.node.port(), "GET",
                            "/v1/conversations/" + conv + "/receipts", {},
                            "Bearer " + f.node.token("alice"));
  CHECK(empty.status == 400);
}
