#include "tests/e2e/e2e_fixture.hpp"

using namespace switchboard::testing;

namespace {
json::object status_of(json::object frame, const std::string& user) {
  for (auto& s : frame["statuses"].as_array())
    if (s.as_object().at("user_id") == user.c_str()) return s.as_object();
  FAIL("no status for " << user);
  return {};
}

}  // namespace

TEST_CASE_METHOD(e2e_fixture,
                 "presence tells who is online and when others were last seen",
                 "[e2e][presence]") {
  auto alice = connect("alice");
  auto bob = connect("bob");
  create(*alice, "direct", {"bob"});
  create(*alice, "direct", {"carol"});
  auto p =
      alice->request({{"type", "presence"}, {"user_ids", {"bob", "carol"}}});
  REQUIRE(p["type"] == "presence");
  CHECK(status_of(p, "bob")["online"] == true);
  CHECK(status_of(p, "carol")["online"] == false);
  CHECK(status_of(p, "carol")["last_seen"].is_null());
}

TEST_CASE_METHOD(e2e_fixture, "a subscriber hears when a user comes and goes",
                 "[e2e][presence]") {
  auto alice = connect("alice");
  create(*alice, "group", {"bob"});
  auto sub = alice->request(
      {{"type", "presence"}, {"user_ids", {"bob"}}, {"subscribe", true}});
  CHECK(status_of(sub, "bob")["online"] == false);
  auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  {
    auto bob = connect("bob");
    auto on = alice->expect("presence");
    CHECK(status_of(on, "bob")["online"] == true);
    auto bob2 = connect("bob");  // a second device changes nothing
  }
  // Both of bob's connections closed: offline, with last_seen.
  auto off = alice->expect("presence");
  while (status_of(off, "bob")["online"] == true)
    off = alice->expect("presence");
  auto st = status_of(off, "bob");
  CHECK(st["online"] == false);
  CHECK(json::value_to<std::int64_t>(st["last_seen"]) >= before);
  auto q = alice->request({{"type", "presence"}, {"user_ids", {"bob"}}});
  CHECK(status_of(q, "bob")["last_seen"] == st["last_seen"]);
}

TEST_CASE_METHOD(e2e_fixture, "typing reaches the other members only",
                 "[e2e][presence]") {
  auto alice = connect("alice");
  auto alice2 = connect("alice");
  auto bob = connect("bob");
  auto conv = create(*alice, "direct", {"bob"});
  alice->send(json::object{{"type", "typing"}, {"conv_id", conv}});
  auto t = bob->expect("typing");
  CHECK(t["conv_id"] == conv.c_str());
  CHECK(t["user_id"] == "alice");
  // alice's other device does not see her own typing: the first typing it
  // sees is bob's, sent after hers.
  bob->send(json::object{{"type", "typing"}, {"conv_id", conv}});
  CHECK(alice2->expect("typing")["user_id"] == "bob");
  auto mallory = connect("mallory");
  CHECK(mallory->request({{"type", "typing"}, {"conv_id", conv}})["code"] ==
        "forbidden");
}

TEST_CASE_METHOD(e2e_fixture,
                 "a stranger's presence is always offline with no last seen",
                 "[e2e][presence][privacy]") {
  auto alice = connect("alice");
  auto mallory = connect("mallory");
  // Alice is online and has a last seen; mallory shares nothing with her.
  {
    auto bob = connect("bob");
    create(*bob, "direct", {"alice"});
  }
  auto p = mallory->request(
      {{"type", "presence"}, {"user_ids", {"alice", "nobody", "mallory"}}});
  auto a = status_of(p, "alice"), n = status_of(p, "nobody");
  a.erase("user_id");
  n.erase("user_id");
  CHECK(a == n);
  CHECK(status_of(p, "alice")["online"] == false);
  CHECK(status_of(p, "alice")["last_seen"].is_null());
  CHECK(status_of(p, "mallory")["online"] == true);  // itself
  // A subscription learns nothing either: alice's coming and going is not
  // reported, and mallory's own next event is the answer to its ping.
  auto sub = mallory->request(
      {{"type", "presence"}, {"user_ids", {"alice"}}, {"subscribe", true}});
  CHECK(status_of(sub, "alice")["online"] == false);
  alice.reset();
  alice = connect("alice");
  mallory->send(json::object{{"type", "ping"}, {"rid", "after"}});
  CHECK(mallory->expect("pong")["rid"] == "after");
  // Over REST too.
  auto r = http_request(node.port(), "GET", "/v1/presence?user_ids=alice", {},
                        "Bearer " + node.token("mallory"));
  REQUIRE(r.status == 200);
  auto st = r.json()["statuses"].as_array()[0].as_object();
  CHECK(st["online"] == false);
  CHECK(st["last_seen"].is_null());
}

TEST_CASE("presence_policy all shows everyone, as a directory",
          "[e2e][presence]") {
  e2e_fixture f({"--presence-policy", "all"});
  auto alice = f.connect("alice");
  auto mallory = f.connect("mallory");
  auto p = mallory->request({{"type", "presence"}, {"user_ids", {"alice"}}});
  CHECK(status_of(p, "alice")["online"] == true);
}

TEST_CASE("a connection watches a bounded number of users", "[e2e][presence]") {
  e2e_fixture f({"--max-presence-subscriptions", "3"});
  auto alice = f.connect("alice");
  auto sub = [&](std::vector<std::string> ids) {
    json::array a;
    for (auto& id : ids) a.emplace_back(id);
    return alice->request(
        {{"type", "presence"}, {"user_ids", a}, {"subscribe", true}});
  };
  CHECK(sub({"u1", "u2"})["type"] == "presence");
  CHECK(sub({"u1", "u3"})["type"] == "presence");  // u1 again is no new one
  auto over = sub({"u4"});
  CHECK(over["type"] == "error");
  CHECK(over["code"] == "bad_request");
  // A query without subscribe is not capped by it.
  CHECK(alice->request({{"type", "presence"}, {"user_ids", {"u4"}}})["type"] ==
        "presence");
}

TEST_CASE_METHOD(e2e_fixture,
                 "a subscription ends when the users stop sharing a "
                 "conversation, and resumes when they share one again",
                 "[e2e][presence][privacy]") {
  auto alice = connect("alice");
  auto carol = connect("carol");
  auto bob = connect("bob");
  auto dave = connect("dave");
  auto conv = create(*alice, "group", {"bob", "carol", "dave"});
  carol->expect("members");  // the creation
  // alice watches bob, carol watches dave.
  auto a = alice->request(
      {{"type", "presence"}, {"user_ids", {"bob"}}, {"subscribe", true}});
  CHECK(status_of(a, "bob")["online"] == true);
  auto c = carol->request(
      {{"type", "presence"}, {"user_ids", {"dave"}}, {"subscribe", true}});
  CHECK(status_of(c, "dave")["online"] == true);

  // bob and carol leave the only conversation they share with the others:
  // each watcher is told the user is as a stranger is, offline with no
  // last seen, both the one who stayed (alice) and the one removed (carol).
  auto r = alice->request({{"type", "members"},
                           {"conv_id", conv},
                           {"remove", json::array{"bob", "carol"}}});
  REQUIRE(r["type"] == "ok");
  expect_hidden(*alice, "bob");
  expect_hidden(*carol, "dave");

  // Going and coming are no longer reported: each watcher's next event is
  // the answer to its ping.
  bob.reset();
  dave.reset();
  bob = connect("bob");
  dave = connect("dave");
  for (auto* w : {alice.get(), carol.get()}) {
    w->send(json::object{{"type", "ping"}, {"rid", "after"}});
    CHECK(w->expect("pong")["rid"] == "after");
    CHECK_FALSE(w->has("presence"));
  }

  // bob is added again: alice's subscription, still hers, resumes with
  // where bob is now.
  r = alice->request(
      {{"type", "members"}, {"conv_id", conv}, {"add", json::array{"bob"}}});
  REQUIRE(r["type"] == "ok");
  auto back = alice->expect("presence");
  CHECK(status_of(back, "bob")["online"] == true);
  bob.reset();
  auto off = alice->expect("presence");
  CHECK(status_of(off, "bob")["online"] == false);
  CHECK_FALSE(status_of(off, "bob")["last_seen"].is_null());
}

TEST_CASE_METHOD(e2e_fixture,
                 "a subscription to a stranger starts once a conversation "
                 "with them is created",
                 "[e2e][presence][privacy]") {
  auto alice = connect("alice");
  auto mallory = connect("mallory");
  auto sub = mallory->request(
      {{"type", "presence"}, {"user_ids", {"alice"}}, {"subscribe", true}});
  CHECK(status_of(sub, "alice")["online"] == false);
  create(*alice, "direct", {"mallory"});
  auto now = mallory->expect("presence");
  CHECK(status_of(now, "alice")["online"] == true);
  alice.reset();
  auto off = mallory->expect("presence");
  CHECK(status_of(off, "alice")["online"] == false);
  CHECK_FALSE(status_of(off, "alice")["last_seen"].is_null());
}
